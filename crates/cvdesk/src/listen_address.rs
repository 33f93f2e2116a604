//! The address to listen on, as an address and port (`127.0.0.1:8080`, `[::1]:8080`) or a
//! host name and port (`localhost:8080`) resolved once at start, for the flag, the
//! variable and the file alike.

use std::net::{SocketAddr, ToSocketAddrs};

/// `text` as the address to listen on, or a message with examples.
pub fn parse(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(address) = text.parse() {
        return Ok(address);
    }
    let refused = || {
        format!(
            "'{text}' is not an address and port such as 127.0.0.1:8080, [::1]:8080 or \
             localhost:8080"
        )
    };
    // Only a host name with a port is looked up; anything else is refused as typed.
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(refused());
    };
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(refused());
    }
    text.to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .ok_or_else(refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_host_names_with_a_port() {
        assert_eq!(
            parse("127.0.0.1:8080"),
            Ok(SocketAddr::from(([127, 0, 0, 1], 8080)))
        );
        assert_eq!(parse("[::1]:9000").map(|a| a.port()), Ok(9000));
        let local = parse("localhost:8080").expect("resolved");
        assert!(local.ip().is_loopback(), "{local}");
        assert_eq!(local.port(), 8080);
        for bad in [
            "localhost",
            "nowhere",
            ":8080",
            "localhost:http",
            "localhost:70000",
        ] {
            let message = parse(bad).expect_err(bad);
            assert!(message.contains("localhost:8080"), "{message}");
        }
    }
}
