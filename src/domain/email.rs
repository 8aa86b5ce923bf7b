use std::fmt;

use super::ParseError;

/// A login e-mail address, trimmed and lower-cased so that one person has one
/// account whatever the case they type.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim().to_lowercase();
        let valid = t.len() <= 254
            && !t.chars().any(|c| c.is_whitespace() || c.is_control())
            && match t.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty() && !domain.is_empty() && !domain.contains('@')
                }
                None => false,
            };
        if valid {
            Ok(Self(t))
        } else {
            Err(ParseError(format!(
                "'{}' is not an e-mail address",
                s.trim()
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_rejects() {
        assert_eq!(
            Email::parse(" Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in ["", "ann", "@x", "ann@", "a b@x.com", "a@b@c"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
