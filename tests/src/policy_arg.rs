//! The `--policy` argument of the peers: presets, flag names and numbers.

use otr_core::Policy;

/// Parses `default|opportunistic|manual|always|never|v2-only|v3-only|<number>`
/// or a `,`/`+` separated list of those and flag names.
///
/// # Errors
/// A message naming the unknown word.
pub fn parse_policy(text: &str) -> Result<Policy, String> {
    let words: Vec<&str> = text
        .split([',', '+'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return Err("empty policy".to_owned());
    }
    let mut bits = 0u32;
    let mut only: Option<u32> = None;
    for word in &words {
        let w = word.to_ascii_lowercase();
        let add = match w.as_str() {
            "default" | "opportunistic" => Policy::OPPORTUNISTIC.bits(),
            "manual" => Policy::MANUAL.bits(),
            "always" => Policy::ALWAYS.bits(),
            "never" => 0,
            "allow-v1" => Policy::ALLOW_V1.bits(),
            "allow-v2" => Policy::ALLOW_V2.bits(),
            "allow-v3" => Policy::ALLOW_V3.bits(),
            "require-encryption" => Policy::REQUIRE_ENCRYPTION.bits(),
            "send-whitespace-tag" => Policy::SEND_WHITESPACE_TAG.bits(),
            "whitespace-start-ake" => Policy::WHITESPACE_START_AKE.bits(),
            "error-start-ake" => Policy::ERROR_START_AKE.bits(),
            "v2-only" | "v3-only" => {
                let keep = if w == "v2-only" { 0x02 } else { 0x04 };
                if only.is_some_and(|o| o != keep) {
                    return Err("v2-only and v3-only together allow nothing".to_owned());
                }
                only = Some(keep);
                if words.len() == 1 {
                    Policy::OPPORTUNISTIC.bits()
                } else {
                    0
                }
            }
            other => {
                let n = if let Some(hex) = other.strip_prefix("0x") {
                    u32::from_str_radix(hex, 16)
                } else {
                    other.parse::<u32>()
                };
                match n {
                    Ok(n) if n <= 0x7f => n,
                    _ => return Err(format!("unknown policy word: {word}")),
                }
            }
        };
        bits |= add;
    }
    if let Some(keep) = only {
        bits = (bits & !0x06) | keep;
    }
    Ok(Policy::from_bits(bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_names_and_numbers() {
        assert_eq!(parse_policy("default").unwrap(), Policy::OPPORTUNISTIC);
        assert_eq!(parse_policy("always").unwrap(), Policy::ALWAYS);
        assert_eq!(parse_policy("v2-only").unwrap().bits(), 0x72);
        assert_eq!(parse_policy("v3-only").unwrap().bits(), 0x74);
        assert_eq!(
            parse_policy("manual+require-encryption").unwrap().bits(),
            0x0e
        );
        assert_eq!(parse_policy("allow-v3,v3-only").unwrap().bits(), 0x04);
        assert_eq!(parse_policy("70").unwrap().bits(), 70);
        assert_eq!(parse_policy("0x46").unwrap().bits(), 0x46);
        assert!(parse_policy("bogus").is_err());
        assert!(parse_policy("v2-only,v3-only").is_err());
        assert!(parse_policy("200").is_err());
    }
}
