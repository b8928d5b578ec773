//! The client's address, which rate limits count by: the socket's peer,
//! unless that peer is a trusted reverse proxy, in which case the address
//! the proxies report (`Forwarded: for=`, RFC 7239, else `X-Forwarded-For`),
//! read from the right: the first address that is not itself a trusted
//! proxy. A client cannot choose its address by sending these headers
//! itself: they are read only from a trusted peer, and only as far back as
//! the chain of trusted proxies reaches.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use axum::http::{header, HeaderMap};

/// A block of addresses: `10.0.0.0/8`, `2001:db8::/32`, or one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// Why a text is not an address block.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an address or address block (10.0.0.0/8, 2001:db8::/32, 127.0.0.1)")]
pub struct CidrError(String);

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Cidr, CidrError> {
        let bad = || CidrError(text.chars().take(64).collect());
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text.trim(), None),
        };
        let network: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Cidr { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl Cidr {
    /// Whether `ip` is in the block (an IPv4-mapped IPv6 address counts as its IPv4 one).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (canonical(self.network), ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Whether the first `prefix` bits of `a` and `b` are equal.
fn prefix_matches(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let mut bits = usize::from(prefix);
    for (x, y) in a.iter().zip(b) {
        if bits == 0 {
            return true;
        }
        let take = bits.min(8);
        let mask = 0xFFu8 << (8 - take);
        if x & mask != y & mask {
            return false;
        }
        bits -= take;
    }
    true
}

/// The client's address as seen through the trusted proxies (see the
/// module's documentation).
pub(crate) fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops = forwarded_for(headers);
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop {
            Some(ip) if is_trusted(*ip) => client = *ip,
            Some(ip) => return *ip,
            // A hop that names no address: the last trusted proxy's view is all there is.
            None => return client,
        }
    }
    client
}

/// The chain of client addresses the proxies reported, oldest first:
/// `Forwarded: for=` when present, else `X-Forwarded-For`. An entry that is
/// not an address (`unknown`, an obfuscated identifier) is `None`.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded = header_values(headers, header::FORWARDED);
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(name, _)| name.eq_ignore_ascii_case("for"))
                    .and_then(|(_, node)| parse_node(node))
            })
            .collect();
    }
    header_values(headers, header::HeaderName::from_static("x-forwarded-for"))
        .iter()
        .map(|node| parse_node(node))
        .collect()
}

/// Every comma-separated value of every `name` header, in order.
fn header_values(headers: &HeaderMap, name: header::HeaderName) -> Vec<&str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// The scheme the nearest proxy reports for the request, lower-cased: the
/// `proto=` of the last element of `Forwarded` (RFC 7239), else the last
/// value of `X-Forwarded-Proto`; `None` when neither says. Only the peer's
/// own report is read: a chain of proxies must pass the edge's on.
pub(crate) fn forwarded_proto(headers: &HeaderMap) -> Option<String> {
    let from_forwarded = header_values(headers, header::FORWARDED)
        .last()
        .and_then(|element| {
            element
                .split(';')
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(name, _)| name.eq_ignore_ascii_case("proto"))
                .map(|(_, proto)| proto.trim().trim_matches('"').to_ascii_lowercase())
        });
    from_forwarded.or_else(|| {
        header_values(
            headers,
            header::HeaderName::from_static("x-forwarded-proto"),
        )
        .last()
        .map(|proto| proto.to_ascii_lowercase())
    })
}

/// An address from a proxy's node: `192.0.2.1`, `192.0.2.1:4711`,
/// `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_contain_what_their_prefix_says() {
        let block: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(block.contains(ip("10.1.200.3")));
        assert!(!block.contains(ip("10.2.0.1")));
        assert!(block.contains(ip("::ffff:10.1.0.9")));
        let one: Cidr = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")) && !v6.contains(ip("2001:db9::1")));
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "proxy", "10.0.0/8", "::/129", ""] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        let trusted: Vec<Cidr> = vec!["10.0.0.0/8".parse().unwrap()];
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.2.3.4, 203.0.113.9, 10.0.0.7"),
        );
        // The client wrote 1.2.3.4 itself; 203.0.113.9 is what the first
        // trusted proxy (10.0.0.7) saw; the peer is the last proxy.
        assert_eq!(
            client_address(ip("10.0.0.2"), &headers, &trusted),
            ip("203.0.113.9")
        );
        // From an untrusted peer the header is the client's own claim: ignored.
        assert_eq!(
            client_address(ip("198.51.100.1"), &headers, &trusted),
            ip("198.51.100.1")
        );
        // RFC 7239 Forwarded, with ports and brackets, takes precedence.
        headers.insert(
            header::FORWARDED,
            HeaderValue::from_static("for=\"[2001:db8::1]:4711\";proto=https, for=10.0.0.8"),
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &headers, &trusted),
            ip("2001:db8::1")
        );
        // A hop that is not an address ends the walk at the last trusted proxy.
        headers.insert(
            header::FORWARDED,
            HeaderValue::from_static("for=unknown, for=10.0.0.8"),
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &headers, &trusted),
            ip("10.0.0.8")
        );
        // The scheme is the nearest proxy's report.
        assert_eq!(forwarded_proto(&headers), None);
        headers.insert(
            header::FORWARDED,
            HeaderValue::from_static("for=1.2.3.4;proto=http, for=10.0.0.8;Proto=\"HTTPS\""),
        );
        assert_eq!(forwarded_proto(&headers).as_deref(), Some("https"));
        headers.remove(header::FORWARDED);
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https, http"));
        assert_eq!(forwarded_proto(&headers).as_deref(), Some("http"));
        // No trusted proxies: always the peer.
        assert_eq!(
            client_address(ip("10.0.0.2"), &headers, &[]),
            ip("10.0.0.2")
        );
    }
}
