//! The SSRF guard of outgoing webhook deliveries.
//!
//! A webhook URL is typed by a user, so signoff must not become a way to reach what
//! only the signoff host can reach: loopback services, the private network, a cloud
//! metadata endpoint. Before **each** delivery the host is resolved again (a name that
//! pointed outside can be re-pointed inside, "DNS rebinding"), every address it
//! resolves to is checked, and the connection is made only to the addresses checked:
//! [`GuardedResolver`] is the HTTP client's resolver, so the check and the connection
//! use the same answer. IP literals (which the client does not resolve) are checked by
//! [`check_url`] before the request. The client follows no redirects and uses no
//! proxy, so neither can lead elsewhere.
//!
//! Refused unless `allow_private_networks` is set ([`forbidden_reason`] has the
//! table): unspecified, loopback, RFC 1918 private, link-local (which holds the
//! 169.254.169.254 metadata endpoint), CGNAT 100.64.0.0/10 (Alibaba's metadata
//! 100.100.100.200 sits there), benchmarking, documentation, multicast, reserved and
//! broadcast IPv4; and IPv6 loopback, unspecified, unique-local (AWS's IPv6 metadata
//! `fd00:ec2::254` sits there), link-local, site-local, multicast, documentation,
//! discard, Teredo, and every form that embeds an IPv4 address (`::ffff:a.b.c.d`,
//! `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`), judged by the embedded
//! address.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why an address is refused, or `None` when it is public.
pub fn forbidden_reason(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(address: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = address.octets();
    Some(match (a, b, c) {
        (0, ..) => "an unspecified (0.0.0.0/8) address",
        (127, ..) => "a loopback address",
        (10, ..) => "a private (10.0.0.0/8) address",
        (172, 16..=31, _) => "a private (172.16.0.0/12) address",
        (192, 168, _) => "a private (192.168.0.0/16) address",
        (169, 254, _) => "a link-local address (169.254.0.0/16, where cloud metadata endpoints live)",
        (100, 64..=127, _) => "a carrier-grade NAT (100.64.0.0/10) address",
        (192, 0, 0) => "an IETF protocol assignment (192.0.0.0/24)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (198, 18..=19, _) => "a benchmarking (198.18.0.0/15) address",
        (224..=239, ..) => "a multicast address",
        (240..=255, ..) => "a reserved or broadcast address",
        _ => return None,
    })
}

fn forbidden_v6(address: Ipv6Addr) -> Option<&'static str> {
    let segments = address.segments();
    if address.is_unspecified() {
        return Some("the unspecified IPv6 address");
    }
    if address.is_loopback() {
        return Some("a loopback address");
    }
    // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d): the IPv4 address
    // is what a dual-stack socket connects to.
    if let Some(v4) = address.to_ipv4() {
        return forbidden_v4(v4);
    }
    let embedded = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    match segments {
        // NAT64 well-known prefix 64:ff9b::/96: the last 32 bits are an IPv4 address.
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => return forbidden_v4(embedded(high, low)),
        // 6to4 2002::/16: bits 16..48 are an IPv4 address.
        [0x2002, high, low, ..] => return forbidden_v4(embedded(high, low)),
        _ => {}
    }
    Some(match segments[0] {
        0xfc00..=0xfdff => "a unique-local (fc00::/7) address",
        0xfe80..=0xfebf => "a link-local (fe80::/10) address",
        0xfec0..=0xfeff => "a site-local (fec0::/10) address",
        0xff00..=0xffff => "a multicast address",
        0x2001 if segments[1] == 0x0db8 => "a documentation (2001:db8::/32) address",
        0x2001 if segments[1] == 0 => "a Teredo (2001::/32) address",
        0x0100 if segments[1..4] == [0, 0, 0] => "a discard-only (100::/64) address",
        _ => return None,
    })
}

/// Why a webhook target was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// Not an http(s) URL with a host.
    #[error("webhook URL {url:?} is not an http(s) URL with a host")]
    Url {
        /// The URL.
        url: String,
    },
    /// An address the host is, or resolves to, is refused.
    #[error(
        "refusing to deliver to {host}: it is {reason} ({address}); set allow_private_networks = true in [sync] to allow it"
    )]
    Forbidden {
        /// The host.
        host: String,
        /// The address.
        address: IpAddr,
        /// Which kind of address.
        reason: &'static str,
    },
    /// The host does not resolve.
    #[error("cannot resolve {host}")]
    Resolve {
        /// The host.
        host: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The host resolves to no address.
    #[error("{host} resolves to no address")]
    NoAddress {
        /// The host.
        host: String,
    },
}

/// Checks a URL's form and, when its host is an IP literal, the address.
///
/// # Errors
///
/// [`GuardError::Url`] for a non-http(s) URL, [`GuardError::Forbidden`] for a refused
/// literal address.
pub fn check_url(url: &Url, allow_private_networks: bool) -> Result<(), GuardError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(GuardError::Url { url: url.to_string() });
    }
    let address = match url.host() {
        None => return Err(GuardError::Url { url: url.to_string() }),
        Some(url::Host::Domain(_)) => return Ok(()),
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
    };
    check_address(&address.to_string(), address, allow_private_networks)
}

fn check_address(host: &str, address: IpAddr, allow_private_networks: bool) -> Result<(), GuardError> {
    match forbidden_reason(address) {
        Some(reason) if !allow_private_networks => {
            Err(GuardError::Forbidden { host: host.to_owned(), address, reason })
        }
        _ => Ok(()),
    }
}

/// What a [`Lookup`] returns.
pub type LookupFuture = Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send>>;

/// Name resolution, replaceable in tests (a name that resolves to loopback).
pub trait Lookup: Send + Sync {
    /// The addresses of `host`.
    fn lookup(&self, host: String) -> LookupFuture;
}

/// The system resolver (`getaddrinfo` through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: String) -> LookupFuture {
        Box::pin(async move {
            let addresses = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addresses.map(|address| address.ip()).collect())
        })
    }
}

/// Resolves `host` and checks every address: all must pass, so that a name with one
/// public and one private address cannot be used to reach the private one.
///
/// # Errors
///
/// [`GuardError`] when resolution fails, yields nothing, or any address is refused.
pub async fn resolve_checked(
    lookup: &dyn Lookup,
    host: &str,
    allow_private_networks: bool,
) -> Result<Vec<IpAddr>, GuardError> {
    let addresses =
        lookup.lookup(host.to_owned()).await.map_err(|source| GuardError::Resolve { host: host.to_owned(), source })?;
    if addresses.is_empty() {
        return Err(GuardError::NoAddress { host: host.to_owned() });
    }
    for address in &addresses {
        check_address(host, *address, allow_private_networks)?;
    }
    Ok(addresses)
}

/// The HTTP client's resolver for webhook deliveries: resolves on every new
/// connection and hands the client only checked addresses (see the module doc).
#[derive(Clone)]
pub struct GuardedResolver {
    lookup: Arc<dyn Lookup>,
    allow_private_networks: bool,
}

impl GuardedResolver {
    /// A resolver over `lookup`.
    pub fn new(lookup: Arc<dyn Lookup>, allow_private_networks: bool) -> GuardedResolver {
        GuardedResolver { lookup, allow_private_networks }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let lookup = Arc::clone(&self.lookup);
        let allow = self.allow_private_networks;
        Box::pin(async move {
            let addresses = resolve_checked(lookup.as_ref(), name.as_str(), allow)
                .await
                .map_err(|error| Box::new(error) as Box<dyn std::error::Error + Send + Sync>)?;
            let addrs: Addrs = Box::new(addresses.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_every_internal_range() {
        let refused = [
            "127.0.0.1",
            "127.1.2.3",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.100.100.200",
            "192.0.0.1",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "fd00:ec2::254",
            "fc00::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "100::1",
        ];
        for text in refused {
            let address: IpAddr = text.parse().unwrap();
            assert!(forbidden_reason(address).is_some(), "{text} should be refused");
        }
        let allowed = [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ];
        for text in allowed {
            let address: IpAddr = text.parse().unwrap();
            assert_eq!(forbidden_reason(address), None, "{text} should be allowed");
        }
    }

    #[test]
    fn literal_hosts_are_checked_in_every_spelling() {
        // The URL parser normalises numeric hosts, so the encodings people use to
        // slip past string filters land on the same address.
        for url in [
            "http://127.0.0.1/hook",
            "http://0x7f000001/hook",
            "http://2130706433/hook",
            "http://0177.0.0.1/hook",
            "http://[::1]:8080/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "http://[::ffff:7f00:1]/hook",
            "http://169.254.169.254/latest/meta-data/",
        ] {
            let parsed = Url::parse(url).unwrap();
            let error = check_url(&parsed, false).unwrap_err();
            assert!(matches!(error, GuardError::Forbidden { .. }), "{url}: {error}");
            assert!(error.to_string().contains("allow_private_networks"), "{error}");
            check_url(&parsed, true).unwrap();
        }
        assert!(matches!(check_url(&Url::parse("file:///etc/passwd").unwrap(), true), Err(GuardError::Url { .. })));
        check_url(&Url::parse("https://grc.example.com/hook").unwrap(), false).unwrap();
    }

    struct Fixed(Vec<IpAddr>);

    impl Lookup for Fixed {
        fn lookup(&self, _host: String) -> LookupFuture {
            let addresses = self.0.clone();
            Box::pin(async move { Ok(addresses) })
        }
    }

    #[tokio::test]
    async fn names_are_judged_by_every_address_they_resolve_to() {
        let public: IpAddr = "93.184.215.14".parse().unwrap();
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(resolve_checked(&Fixed(vec![public]), "example.com", false).await.unwrap(), vec![public]);
        let error = resolve_checked(&Fixed(vec![public, loopback]), "rebind.example", false).await.unwrap_err();
        assert!(matches!(error, GuardError::Forbidden { address, .. } if address == loopback), "{error}");
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert!(resolve_checked(&Fixed(vec![mapped]), "v6.example", false).await.is_err());
        assert!(matches!(
            resolve_checked(&Fixed(vec![]), "empty.example", false).await,
            Err(GuardError::NoAddress { .. })
        ));
        // The real resolver: localhost is loopback.
        let error = resolve_checked(&SystemLookup, "localhost", false).await.unwrap_err();
        assert!(matches!(error, GuardError::Forbidden { .. }), "{error}");
        assert!(!resolve_checked(&SystemLookup, "localhost", true).await.unwrap().is_empty());
    }
}
