//! E-mail addresses as users type them.

/// A normalised (trimmed, lower-case) e-mail address with a plausible shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, String> {
        let text = text.trim().to_lowercase();
        let valid = text.len() <= 254
            && text.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !text
                        .chars()
                        .any(|c| c.is_whitespace() || c == '<' || c == '>')
                    && text.matches('@').count() == 1
            });
        if valid {
            Ok(Email(text))
        } else {
            Err(format!("{text:?} is geen geldig e-mailadres"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(Email::parse(" A@B.nl ").unwrap().as_str(), "a@b.nl");
        for bad in ["", "a", "a@b", "@b.nl", "a@@b.nl", "a b@c.nl", "a@.nl"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
