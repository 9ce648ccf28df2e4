//! Who is asking: client IP (believing X-Forwarded-For only from trusted proxies) and user
//! agent, recorded with audit events and used for rate limits.

use std::net::IpAddr;

use actix_web::HttpRequest;

use crate::audit::Origin;

/// Where a request comes from, as the audit log and the rate limits keep it.
pub fn origin_of(req: &HttpRequest, trusted_proxies: &[ipnet::IpNet]) -> Origin {
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(400)
        .collect();
    Origin {
        ip: client_ip(req, trusted_proxies)
            .map(|ip| ip.to_string())
            .unwrap_or_default(),
        user_agent,
    }
}

pub fn client_ip(req: &HttpRequest, trusted_proxies: &[ipnet::IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let trusted = |ip: &IpAddr| trusted_proxies.iter().any(|net| net.contains(ip));
    if !trusted(&peer) {
        return Some(peer);
    }
    // Walk X-Forwarded-For from the right: the first hop we do not trust is the client.
    let forwarded = req
        .headers()
        .get("X-Forwarded-For")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut client = peer;
    for hop in forwarded.rsplit(',').map(str::trim) {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted(&ip) => client = ip,
            Ok(ip) => return Some(ip),
            Err(_) => break,
        }
    }
    Some(client)
}
