//! The vector grammar every CVSS version shares: `METRIC:VALUE` components joined by `/`,
//! each metric from the version's table, the mandatory ones present, none given twice,
//! and, where the version fixes it, the table's order.

use super::error::{echo, CvssErrorKind};
use super::CvssVersion;

/// The most metrics a version has (CVSS v4.0: 11 base, 1 threat, 14 environmental and
/// 6 supplemental).
pub(super) const MAX_METRICS: usize = 32;

/// The metric values of one vector: slot `i` holds the index, in `metrics[i].values`, of
/// the value given for metric `i` of the version's table. Optional metrics list their
/// "Not Defined" value first, so an absent metric and one written as `X` (or `ND`) are
/// the same value; unused slots stay 0.
pub(super) type Values = [u8; MAX_METRICS];

/// One metric of a version's table.
pub(super) struct Metric {
    pub(super) name: &'static str,
    pub(super) values: &'static [&'static str],
    pub(super) mandatory: bool,
}

impl Metric {
    pub(super) const fn mandatory(name: &'static str, values: &'static [&'static str]) -> Self {
        Self {
            name,
            values,
            mandatory: true,
        }
    }

    /// An optional metric; `values[0]` must be its "Not Defined" value.
    pub(super) const fn optional(name: &'static str, values: &'static [&'static str]) -> Self {
        Self {
            name,
            values,
            mandatory: false,
        }
    }

    /// Whether `value` (an index into `values`) says anything: always for a mandatory
    /// metric, and unless it is "Not Defined" for an optional one.
    pub(super) fn is_defined(&self, value: u8) -> bool {
        self.mandatory || value != 0
    }
}

/// Whether a version lets metrics come in any order or only in its table's order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    Any,
    Fixed,
}

/// The grammar of one version's vector body (what follows the prefix).
pub(super) struct Grammar {
    pub(super) version: CvssVersion,
    pub(super) metrics: &'static [Metric],
    pub(super) order: Order,
}

impl Grammar {
    /// Parses the `/`-separated components of `body`; `None` means the vector ended with
    /// its prefix and so has no metrics at all.
    pub(super) fn parse(&self, body: Option<&str>) -> Result<Values, CvssErrorKind> {
        let mut values = [0u8; MAX_METRICS];
        let mut seen = [false; MAX_METRICS];
        let mut last: Option<usize> = None;
        for component in body.into_iter().flat_map(|body| body.split('/')) {
            if component.is_empty() {
                return Err(CvssErrorKind::EmptyComponent);
            }
            let (name, value) = match component.split_once(':') {
                Some((name, value)) if !name.is_empty() => (name, value),
                _ => return Err(CvssErrorKind::MalformedComponent(echo(component))),
            };
            let index = self.metric_index(name)?;
            let metric = &self.metrics[index];
            if seen[index] {
                return Err(CvssErrorKind::Duplicate(metric.name));
            }
            if let Some(last) = last.filter(|&last| self.order == Order::Fixed && index < last) {
                return Err(CvssErrorKind::OutOfOrder {
                    earlier: metric.name,
                    later: self.metrics[last].name,
                });
            }
            if value.is_empty() {
                return Err(CvssErrorKind::MissingValue(metric.name));
            }
            let value_index = metric
                .values
                .iter()
                .position(|&known| known == value)
                .ok_or_else(|| CvssErrorKind::UnknownValue {
                    metric: metric.name,
                    value: echo(value),
                })?;
            // Tables have at most six values per metric, so the index fits in a byte.
            values[index] = value_index as u8;
            seen[index] = true;
            last = Some(index);
        }
        if let Some(missing) = self
            .metrics
            .iter()
            .zip(seen)
            .find(|(metric, seen)| metric.mandatory && !seen)
        {
            return Err(CvssErrorKind::Missing(missing.0.name));
        }
        Ok(values)
    }

    fn metric_index(&self, name: &str) -> Result<usize, CvssErrorKind> {
        self.metrics
            .iter()
            .position(|metric| metric.name == name)
            .ok_or_else(|| CvssErrorKind::UnknownMetric {
                version: self.version,
                metric: echo(name),
            })
    }

    /// The metrics of `values` that say something, in table order, as (name, value).
    pub(super) fn defined<'a>(
        &'a self,
        values: &'a Values,
    ) -> impl Iterator<Item = (&'static str, &'static str)> + 'a {
        self.metrics
            .iter()
            .zip(values.iter())
            .filter(|(metric, &value)| metric.is_defined(value))
            .map(|(metric, &value)| (metric.name, metric.values[usize::from(value)]))
    }

    /// Whether any metric named in `names` is defined in `values`.
    pub(super) fn any_defined(&self, values: &Values, names: &[&str]) -> bool {
        self.defined(values).any(|(name, _)| names.contains(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const METRICS: &[Metric] = &[
        Metric::mandatory("A", &["1", "2"]),
        Metric::mandatory("B", &["1", "2"]),
        Metric::optional("C", &["X", "1"]),
    ];

    fn grammar(order: Order) -> Grammar {
        Grammar {
            version: CvssVersion::V3_1,
            metrics: METRICS,
            order,
        }
    }

    #[test]
    fn parses_in_table_order_and_any_order() {
        let mut expected = [0; MAX_METRICS];
        expected[1] = 1;
        expected[2] = 1;
        assert_eq!(
            grammar(Order::Fixed).parse(Some("A:1/B:2/C:1")),
            Ok(expected)
        );
        assert_eq!(grammar(Order::Any).parse(Some("C:1/B:2/A:1")), Ok(expected));
    }

    #[test]
    fn not_defined_equals_absent() {
        let g = grammar(Order::Fixed);
        assert_eq!(g.parse(Some("A:1/B:1/C:X")), g.parse(Some("A:1/B:1")));
    }

    #[test]
    fn refusals_name_the_problem() {
        let g = grammar(Order::Fixed);
        let err = |body| {
            g.parse(body)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(err(None), "metric A missing");
        assert_eq!(err(Some("A:1")), "metric B missing");
        assert_eq!(err(Some("A:1/A:1/B:1")), "metric A given twice");
        assert_eq!(err(Some("B:1/A:1")), "A must come before B");
        assert_eq!(err(Some("A:3/B:1")), "unknown value '3' for metric A");
        assert_eq!(err(Some("A:/B:1")), "metric A has no value");
        assert_eq!(
            err(Some("A:1//B:1")),
            "empty metric: the vector has a stray '/'"
        );
        assert_eq!(
            err(Some("A1/B:1")),
            "'A1' is not a metric: expected METRIC:VALUE, e.g. AV:N"
        );
        assert_eq!(
            err(Some("A:1/Z:1")),
            "unknown metric 'Z' in a CVSS v3.1 vector"
        );
    }

    #[test]
    fn any_order_still_refuses_duplicates() {
        let g = grammar(Order::Any);
        assert_eq!(
            g.parse(Some("B:1/A:1/B:2")),
            Err(CvssErrorKind::Duplicate("B"))
        );
    }
}
