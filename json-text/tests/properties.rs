//! Every string escapes to the bytes serde_json writes for it.

use proptest::prelude::*;

fn ours(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    connect_json_text::write_str(&mut out, s);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_string(s in any::<String>()) {
        prop_assert_eq!(ours(&s), serde_json::to_vec(&s).unwrap());
    }

    // Mostly the bytes that need escaping, at every offset within an eight-byte word.
    #[test]
    fn strings_dense_with_escapes(s in "[\\x00-\\x21\"\\\\a\\x7fé]{0,40}") {
        prop_assert_eq!(ours(&s), serde_json::to_vec(&s).unwrap());
    }
}
