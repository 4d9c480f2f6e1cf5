//! Node and request ids, in the shapes the Node adapters use.

use rand::Rng;

/// uid2's 64 URL-safe characters.
const UID2_CHARS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// What the classic adapter uses for node and request ids: `uid2(6)`.
pub(crate) fn uid2() -> String {
    let mut rng = rand::rng();
    (0..6)
        .map(|_| char::from(UID2_CHARS[rng.random_range(0..64)]))
        .collect()
}

/// What the `ClusterAdapter` uses: `randomBytes(8).toString("hex")`.
pub(crate) fn hex16() -> String {
    let bytes: [u8; 8] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_node_shapes() {
        let uid = uid2();
        assert_eq!(uid.len(), 6);
        assert!(uid.bytes().all(|b| UID2_CHARS.contains(&b)));
        let hex = hex16();
        assert_eq!(hex.len(), 16);
        assert!(hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(hex16(), hex);
    }
}
