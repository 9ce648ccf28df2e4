//! Licenses: an organization's products, their seats, and who holds one. Every seat is taken
//! with one guarded update in the transaction that assigns it (race-free on both backends)
//! and given back when the license goes; nothing else writes `seats_used`.

pub mod product_permissions;
pub mod store;

/// "That was the last Dialer seat: none remain. …", when a change took a product's last seat.
pub fn last_seat_notice(products: &[String]) -> Option<String> {
    match products {
        [] => None,
        [one] => Some(format!(
            "That was the last {one} seat: none remain. Free seats from other users or add seats in Settings."
        )),
        many => Some(format!(
            "Those were the last {} seats: none remain. Free seats from other users or add seats in Settings.",
            many.join(" and ")
        )),
    }
}
