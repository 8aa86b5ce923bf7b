//! Which address a request comes from. Behind a reverse proxy every request
//! arrives from the proxy, so `X-Forwarded-For` must be read; but a client
//! can send that header itself, so it is believed only when the socket peer
//! is a proxy the operator named (`CONSOL_TRUSTED_PROXIES`).

use std::fmt;
use std::net::IpAddr;

/// One address or CIDR block, such as `10.0.0.0/8` or `::1`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IpBlock {
    base: IpAddr,
    prefix: u8,
}

impl IpBlock {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let base: IpAddr = addr
            .parse()
            .map_err(|_| format!("'{s}' is not an IP address or CIDR block"))?;
        let base = base.to_canonical();
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("'{s}' has a prefix length that is not 0 to {max}"))?,
        };
        Ok(Self { base, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.base, ip.to_canonical()) {
            (IpAddr::V4(b), IpAddr::V4(i)) => same_prefix(
                u128::from(u32::from(b)) << 96,
                u128::from(u32::from(i)) << 96,
                self.prefix,
            ),
            (IpAddr::V6(b), IpAddr::V6(i)) => {
                same_prefix(u128::from(b), u128::from(i), self.prefix)
            }
            _ => false,
        }
    }
}

fn same_prefix(a: u128, b: u128, prefix: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - u32::from(prefix));
    a & mask == b & mask
}

impl fmt::Debug for IpBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

/// The proxies whose `X-Forwarded-For` is believed. Empty by default: then
/// the socket's address is the client's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpBlock>);

impl TrustedProxies {
    /// A comma- or space-separated list of addresses and CIDR blocks.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(IpBlock::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|b| b.contains(ip))
    }

    /// The client's address: the socket peer, unless that is a trusted
    /// proxy; then the right-most address of `X-Forwarded-For` (all its
    /// headers, in order) that is not itself a trusted proxy. Entries left
    /// of it were written by the client and may be forged, so they are never
    /// read. When every hop is trusted, the left-most one is used.
    pub fn client_ip(&self, peer: Option<IpAddr>, forwarded_for: &[&str]) -> Option<IpAddr> {
        let peer = peer?.to_canonical();
        if !self.trusts(peer) {
            return Some(peer);
        }
        let hops: Vec<&str> = forwarded_for
            .iter()
            .flat_map(|h| h.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            // An unreadable entry could be anything the client wrote: stop at
            // the last hop that is known.
            let Ok(ip) = hop.parse::<IpAddr>() else {
                break;
            };
            client = ip.to_canonical();
            if !self.trusts(client) {
                break;
            }
        }
        Some(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_parse_and_match() {
        let b = IpBlock::parse("10.0.0.0/8").unwrap();
        assert!(b.contains(ip("10.255.1.2")));
        assert!(!b.contains(ip("11.0.0.1")));
        assert!(b.contains(ip("::ffff:10.1.1.1")), "IPv4-mapped IPv6");
        let one = IpBlock::parse("192.0.2.7").unwrap();
        assert!(one.contains(ip("192.0.2.7")));
        assert!(!one.contains(ip("192.0.2.8")));
        let v6 = IpBlock::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")));
        assert!(!v6.contains(ip("2001:db9::5")));
        assert!(!v6.contains(ip("10.0.0.1")));
        assert!(IpBlock::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        for bad in ["", "nope", "10.0.0.0/33", "10.0.0.0/x", "::1/129"] {
            assert!(IpBlock::parse(bad).is_err(), "{bad}");
        }
        assert!(TrustedProxies::parse("10.0.0.1, 10.0.0.0/8 ::1").is_ok());
        assert!(TrustedProxies::parse("10.0.0.1, junk").is_err());
    }

    #[test]
    fn forwarded_for_only_from_trusted_peers() {
        let none = TrustedProxies::default();
        let peer = Some(ip("127.0.0.1"));
        // A client cannot choose its address by sending the header.
        assert_eq!(none.client_ip(peer, &["198.51.100.7"]), peer);

        let t = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        assert_eq!(
            t.client_ip(peer, &["198.51.100.7"]),
            Some(ip("198.51.100.7"))
        );
        // The forged left part is never read; trusted hops are skipped.
        assert_eq!(
            t.client_ip(peer, &["1.2.3.4, 198.51.100.7, 10.1.2.3"]),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            t.client_ip(peer, &["1.2.3.4", "198.51.100.7"]),
            Some(ip("198.51.100.7")),
            "several headers read in order"
        );
        assert_eq!(
            t.client_ip(peer, &["garbage, 203.0.113.9"]),
            Some(ip("203.0.113.9"))
        );
        // Only trusted hops, or nothing readable: the nearest known one.
        assert_eq!(t.client_ip(peer, &["10.0.0.5"]), Some(ip("10.0.0.5")));
        assert_eq!(t.client_ip(peer, &["garbage"]), peer);
        assert_eq!(t.client_ip(peer, &[]), peer);
        // An untrusted peer's header is ignored.
        assert_eq!(
            t.client_ip(Some(ip("192.0.2.1")), &["198.51.100.7"]),
            Some(ip("192.0.2.1"))
        );
        assert_eq!(t.client_ip(None, &["198.51.100.7"]), None);
    }
}
