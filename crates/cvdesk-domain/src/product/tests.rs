//! Tests of the inventory form: every field's rules and messages, and that a parsed product
//! routes reports.

use super::*;

fn input() -> ProductInput {
    ProductInput {
        name: "  Web shop ".to_owned(),
        team: " Payments ".to_owned(),
        business_context: "Takes payments.".to_owned(),
        criticality: "High".to_owned(),
        hostnames: "Shop.Example.org\n*.shop.example.org, shop.example.org\r\n\n".to_owned(),
        url_prefixes: "https://Example.org/shop\nhttp://example.org:8080/cart/".to_owned(),
        aliases: "Acme   Shop\n\nacme shop\nShop-2000\n".to_owned(),
    }
}

fn refused(change: impl Fn(&mut ProductInput)) -> ProductFieldErrors {
    let mut input = input();
    change(&mut input);
    parse_product(&input).err().unwrap_or_default()
}

#[test]
fn a_complete_form_is_normalised() {
    assert_eq!(
        parse_product(&input()),
        Ok(ProductSpec {
            name: "Web shop".to_owned(),
            team: Some("Payments".to_owned()),
            business_context: Some("Takes payments.".to_owned()),
            criticality: Criticality::High,
            hostnames: vec![
                "shop.example.org".to_owned(),
                "*.shop.example.org".to_owned()
            ],
            url_prefixes: vec![
                "https://example.org/shop".to_owned(),
                "http://example.org:8080/cart/".to_owned()
            ],
            aliases: vec!["Acme Shop".to_owned(), "Shop-2000".to_owned()],
        })
    );
}

#[test]
fn a_minimal_form_is_enough() {
    let input = ProductInput {
        name: "Router".to_owned(),
        criticality: "low".to_owned(),
        ..ProductInput::default()
    };
    let spec = parse_product(&input);
    assert_eq!(spec.as_ref().map(|spec| spec.hostnames.len()), Ok(0));
    assert_eq!(spec.map(|spec| spec.business_context), Ok(None));
}

#[test]
fn name_is_required_and_short() {
    let errors = refused(|input| input.name = "  ".to_owned());
    assert_eq!(
        errors.get(ProductField::Name),
        Some("Give the product a name.")
    );
    let errors = refused(|input| input.name = "x".repeat(101));
    assert_eq!(
        errors.get(ProductField::Name),
        Some("Keep the name to at most 100 characters.")
    );
    assert!(parse_product(&ProductInput {
        name: "é".repeat(100),
        ..input()
    })
    .is_ok());
    assert!(refused(|input| input.name = "a\u{7}b".to_owned())
        .get(ProductField::Name)
        .is_some());
}

#[test]
fn criticality_must_be_one_of_four() {
    for value in ["low", "medium", "HIGH", " critical "] {
        let mut form = input();
        form.criticality = value.to_owned();
        assert!(parse_product(&form).is_ok(), "{value}");
    }
    assert_eq!(
        refused(|input| input.criticality = "urgent".to_owned()).get(ProductField::Criticality),
        Some("\"urgent\" is not a criticality; choose low, medium, high or critical.")
    );
    assert!(refused(|input| input.criticality.clear())
        .get(ProductField::Criticality)
        .is_some());
}

#[test]
fn business_context_is_optional_but_bounded() {
    assert!(refused(|input| input.business_context = "x".repeat(2_001))
        .get(ProductField::BusinessContext)
        .is_some());
}

#[test]
fn host_names_are_checked_one_by_one() {
    let message = |hosts: &str| {
        refused(|input| input.hostnames = hosts.to_owned())
            .get(ProductField::Hostnames)
            .map(str::to_owned)
    };
    assert_eq!(
        message("shop..example.org"),
        Some(
            "\"shop..example.org\" is not a valid host name; use letters, digits and \
             hyphens in dot-separated labels, as in shop.example.org."
                .to_owned()
        )
    );
    assert_eq!(
        message("shop.*.example.org"),
        Some(
            "\"shop.*.example.org\": a wildcard is allowed only as a leading \"*.\", as in \
             *.example.org."
                .to_owned()
        )
    );
    assert!(message("*.org").is_some_and(|m| m.contains("whole top-level domain")));
    assert!(message("https://shop.example.org/").is_some_and(|m| m.contains("is a URL")));
    assert!(message("shop.example.org:443").is_some_and(|m| m.contains("port")));
    assert!(message("example.org/api").is_some_and(|m| m.contains("path")));
    assert!(message("*.192.0.2.1").is_some());
    for bad in [
        "localhost",
        "-a.example.org",
        "a_b.example.org",
        "1.2",
        "**.example.org",
    ] {
        assert!(message(bad).is_some(), "{bad}");
    }
    let both = message("bad..one good.example.org also..bad").unwrap_or_default();
    assert!(
        both.contains("bad..one") && both.contains("also..bad"),
        "{both}"
    );
    for good in [
        "192.0.2.10",
        "xn--bcher-kva.example",
        "a-b.example.org",
        "example.org.",
    ] {
        assert_eq!(message(good), None, "{good}");
    }
}

#[test]
fn international_host_names_are_stored_in_ascii() {
    let mut form = input();
    form.hostnames = "Bücher.example\n*.bücher.example".to_owned();
    assert_eq!(
        parse_product(&form).map(|spec| spec.hostnames),
        Ok(vec![
            "xn--bcher-kva.example".to_owned(),
            "*.xn--bcher-kva.example".to_owned()
        ])
    );
}

#[test]
fn url_prefixes_must_be_web_urls() {
    let message = |prefixes: &str| {
        refused(|input| input.url_prefixes = prefixes.to_owned())
            .get(ProductField::UrlPrefixes)
            .map(str::to_owned)
    };
    assert_eq!(
        message("example.org/api/"),
        Some(
            "\"example.org/api/\" is not a URL; write it in full, as in \
             https://example.org/api/."
                .to_owned()
        )
    );
    assert_eq!(
        message("ftp://example.org/"),
        Some("\"ftp://example.org/\" must start with https:// or http://.".to_owned())
    );
    assert!(message("https://user:pw@example.org/").is_some_and(|m| m.contains("password")));
    assert!(message("https://example.org/#top").is_some_and(|m| m.contains("#")));
    assert!(message(&format!("https://example.org/{}", "a".repeat(2_000))).is_some());
}

#[test]
fn url_paths_keep_their_case_and_aliases_do_not() {
    let mut form = input();
    form.url_prefixes =
        "https://example.org/API/ https://EXAMPLE.org/api/ https://example.org/api/".to_owned();
    form.aliases = "Acme Shop\nACME SHOP".to_owned();
    let spec = parse_product(&form);
    assert_eq!(
        spec.as_ref().map(|spec| spec.url_prefixes.clone()),
        Ok(vec![
            "https://example.org/API/".to_owned(),
            "https://example.org/api/".to_owned()
        ])
    );
    assert_eq!(
        spec.map(|spec| spec.aliases),
        Ok(vec!["Acme Shop".to_owned()])
    );
}

#[test]
fn aliases_need_a_word() {
    let errors = refused(|input| input.aliases = "--\nAcme".to_owned());
    assert_eq!(
        errors.get(ProductField::Aliases),
        Some("\"--\" has no letters or digits to match a report by.")
    );
    assert!(refused(|input| input.aliases = "x".repeat(101))
        .get(ProductField::Aliases)
        .is_some());
}

#[test]
fn lists_are_bounded() {
    let many: Vec<String> = (0..=MAX_ENTRIES)
        .map(|n| format!("h{n}.example.org"))
        .collect();
    let errors = refused(|input| input.hostnames = many.join("\n"));
    assert_eq!(
        errors.get(ProductField::Hostnames),
        Some("List at most 100 host names.")
    );
}

#[test]
fn the_team_is_named_on_one_short_line_or_not_at_all() {
    let spec = parse_product(&ProductInput {
        team: "   ".to_owned(),
        ..input()
    });
    assert_eq!(spec.map(|spec| spec.team), Ok(None));
    let errors = refused(|input| input.team = "t".repeat(101));
    assert_eq!(
        errors.get(ProductField::Team),
        Some("A team name has at most 100 characters.")
    );
    assert!(refused(|input| input.team = "Web\nOps".to_owned())
        .get(ProductField::Team)
        .is_some());
    assert!(parse_product(&ProductInput {
        team: "é".repeat(100),
        ..input()
    })
    .is_ok());
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let errors = parse_product(&ProductInput::default())
        .err()
        .unwrap_or_default();
    let fields: Vec<&str> = errors.iter().map(|(field, _)| field.form_name()).collect();
    assert_eq!(fields, ["name", "criticality"]);
}

#[test]
fn a_parsed_product_routes_reports() {
    let spec = parse_product(&input());
    let routes: Vec<ProductRoute> = spec.iter().map(|spec| spec.route(ProductId(5))).collect();
    let found = route(
        Some("https://pay.shop.example.org/checkout"),
        "XSS",
        &routes,
    );
    assert_eq!(
        found,
        Some(RouteMatch {
            product: ProductId(5),
            reason: "host pay.shop.example.org matches *.shop.example.org".to_owned()
        })
    );
    let found = route(Some("http://example.org:8080/cart/add"), "", &routes);
    assert!(found.is_some_and(|found| found.reason.starts_with("URL ")));
    assert!(route(None, "shop-2000 crashes", &routes).is_some());
}

proptest::proptest! {
    #[test]
    fn any_form_parses_or_explains_without_panicking(
        name in "\\PC{0,120}",
        criticality in "\\PC{0,10}",
        hostnames in "[a-zA-Z0-9éü*.:/@ ,\n-]{0,80}",
        url_prefixes in "\\PC{0,80}",
        aliases in "\\PC{0,80}",
    ) {
        let input = ProductInput {
            name,
            team: String::new(),
            business_context: String::new(),
            criticality,
            hostnames,
            url_prefixes,
            aliases,
        };
        if let Err(errors) = parse_product(&input) {
            proptest::prop_assert!(!errors.is_empty());
        }
    }
}
