//! The visitor's network address, which onboarding counts sign-in attempts against.
//!
//! Every sign-in reaches onboarding from the frontend, so onboarding cannot see who is
//! signing in; the frontend tells it, with its client credentials, when it passes a password
//! on (the onboarding client's `login_with_password`). The address is the TCP peer's,
//! unless that peer is one of the `trusted_proxies` the frontend is deployed behind: then it
//! is the nearest address in `X-Forwarded-For` that is not itself a trusted proxy. A header
//! from anyone else is ignored, since a visitor who could choose their address could give
//! every guess a fresh one.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;

/// The proxies (addresses or CIDR blocks) whose `X-Forwarded-For` the frontend believes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses (`10.0.0.5`, `::1`) and CIDR blocks
    /// (`10.0.0.0/8`, `fd00::/8`); blank means none.
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        let networks = text
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{entry:?} is neither an IP address nor a CIDR block"))
            })
            .collect::<Result<Vec<IpNet>, String>>()?;
        Ok(TrustedProxies(networks.into()))
    }

    fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|network| network.contains(&address))
    }

    /// The visitor's address for a connection from `peer` carrying `headers`.
    ///
    /// `X-Forwarded-For` is read from the right, where the nearest proxy wrote it: each hop
    /// that is a trusted proxy passes the question one step further left, and the first hop
    /// that is not one is the visitor. An entry that does not parse ends the walk at the last
    /// trusted hop, since nothing left of it can be believed.
    pub fn visitor_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut visitor = peer.to_canonical();
        if !self.contains(visitor) {
            return visitor;
        }
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        for hop in forwarded.into_iter().rev() {
            let Some(address) = parse_hop(hop) else {
                break;
            };
            visitor = address;
            if !self.contains(address) {
                break;
            }
        }
        visitor
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`[::1]:80`, `1.2.3.4:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()
        .map(|address| address.to_canonical())
}

/// The visitor's address, when the server knows its connection's peer (it always does when
/// served by [`crate::run_with`]; a router driven without a socket, as in unit tests, does not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VisitorAddress(pub Option<IpAddr>);

impl<S> FromRequestParts<S> for VisitorAddress
where
    S: Send + Sync,
    TrustedProxies: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<VisitorAddress, Self::Rejection> {
        let trusted_proxies = TrustedProxies::from_ref(state);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip());
        Ok(VisitorAddress(peer.map(|peer| {
            trusted_proxies.visitor_address(peer, &parts.headers)
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn address(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded_for(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_visitor_whatever_the_header_says() {
        let proxies = TrustedProxies::default();
        let headers = forwarded_for(&["203.0.113.9"]);
        assert_eq!(
            proxies.visitor_address(address("198.51.100.1"), &headers),
            address("198.51.100.1")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_visitor() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.0.2.1").unwrap();
        // The visitor forged the leftmost entry; the proxies appended the rest.
        let headers = forwarded_for(&["1.1.1.1, 203.0.113.9", "10.1.2.3"]);
        assert_eq!(
            proxies.visitor_address(address("192.0.2.1"), &headers),
            address("203.0.113.9")
        );
    }

    #[test]
    fn a_trusted_proxy_without_the_header_is_the_visitor_itself() {
        let proxies = TrustedProxies::parse("192.0.2.1").unwrap();
        assert_eq!(
            proxies.visitor_address(address("192.0.2.1"), &HeaderMap::new()),
            address("192.0.2.1")
        );
    }

    #[test]
    fn an_unparsable_hop_stops_the_walk_at_the_last_trusted_one() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let headers = forwarded_for(&["203.0.113.9, not-an-address, 10.0.0.7"]);
        assert_eq!(
            proxies.visitor_address(address("10.0.0.1"), &headers),
            address("10.0.0.7")
        );
    }

    #[test]
    fn ports_and_ipv4_mapped_addresses_are_read_as_plain_addresses() {
        let proxies = TrustedProxies::parse("10.0.0.1").unwrap();
        let headers = forwarded_for(&["203.0.113.9:4711"]);
        assert_eq!(
            proxies.visitor_address(address("::ffff:10.0.0.1"), &headers),
            address("203.0.113.9")
        );
    }

    #[test]
    fn a_bad_entry_in_the_setting_is_refused_and_blank_means_none() {
        assert!(TrustedProxies::parse("10.0.0.0/8, proxy.internal").is_err());
        assert_eq!(
            TrustedProxies::parse(" ").unwrap(),
            TrustedProxies::default()
        );
    }
}
