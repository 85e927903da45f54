use super::ParseError;

/// A human-readable name (organization, client): trimmed, 1–100 characters, no control
/// characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let trimmed = s.trim();
        let chars = trimmed.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS {
            return Err(ParseError("must be 1-100 characters after trimming".into()));
        }
        check_free_text(trimmed)?;
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Free text shown to people (names, descriptions): no control characters, and none of the
/// invisible characters that make one text look like another (bidi overrides and isolates,
/// zero-width spaces and joiners, the BOM) in the console or the audit log.
pub fn check_free_text(s: &str) -> Result<(), ParseError> {
    if s.chars().any(char::is_control) {
        return Err(ParseError("must not contain control characters".into()));
    }
    if let Some(c) = s.chars().find(|c| is_invisible_formatting(*c)) {
        return Err(ParseError(format!(
            "must not contain invisible formatting characters (found U+{:04X})",
            u32::from(c)
        )));
    }
    Ok(())
}

/// Format characters (Unicode category Cf), line and paragraph separators (Zl, Zp), private
/// use characters (Co), variation selectors and the invisible fillers: none renders as
/// anything a reader can tell apart.
fn is_invisible_formatting(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                      // soft hyphen
        | '\u{034F}'                    // combining grapheme joiner
        | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}'
        | '\u{0890}'..='\u{0891}' | '\u{08E2}'
        | '\u{115F}' | '\u{1160}'       // Hangul fillers
        | '\u{17B4}' | '\u{17B5}'       // Khmer inherent vowels
        | '\u{180B}'..='\u{180F}'       // Mongolian variation selectors and separator
        | '\u{200B}'..='\u{200F}'       // zero-width space/non-joiner/joiner, LRM, RLM
        | '\u{2028}'..='\u{202E}'       // line/paragraph separators, bidi embeddings and overrides
        | '\u{2060}'..='\u{206F}'       // word joiner, invisible operators, bidi isolates
        | '\u{3164}'                    // Hangul filler
        | '\u{E000}'..='\u{F8FF}'       // private use
        | '\u{FE00}'..='\u{FE0F}'       // variation selectors
        | '\u{FEFF}'                    // zero-width no-break space (BOM)
        | '\u{FFA0}'                    // halfwidth Hangul filler
        | '\u{FFF9}'..='\u{FFFB}'       // interlinear annotation
        | '\u{110BD}' | '\u{110CD}' | '\u{13430}'..='\u{1343F}'
        | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E007F}'     // tags
        | '\u{E0100}'..='\u{E01EF}'     // variation selectors supplement
        | '\u{F0000}'..='\u{10FFFF}'    // supplementary private use
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds_length() {
        assert_eq!(
            DisplayName::parse("  billing  ").unwrap().as_str(),
            "billing"
        );
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"é".repeat(100)).is_ok());
        assert!(DisplayName::parse(&"é".repeat(101)).is_err());
        assert!(DisplayName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn refuses_invisible_spoofing_characters() {
        for spoof in [
            "admin\u{202E}nimda",
            "bill\u{200B}ing",
            "\u{2066}x\u{2069}",
            "a\u{FEFF}",
        ] {
            assert!(DisplayName::parse(spoof).is_err(), "{spoof:?}");
        }
        assert!(DisplayName::parse("Zürich – 東京 🚀").is_ok());
    }
}
