use std::fmt;
use std::str::FromStr;

use num_bigint::{BigInt, Sign};

/// An arbitrary-precision decimal: `unscaled × 10^-scale`, as Java's
/// `BigDecimal` which Kafka Connect uses for the Decimal logical type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal {
    /// The unscaled integer value.
    pub unscaled: BigInt,
    /// The number of digits after the decimal point (may be negative).
    pub scale: i32,
}

impl Decimal {
    /// A decimal from an unscaled integer and a scale.
    pub fn new(unscaled: impl Into<BigInt>, scale: i32) -> Self {
        Decimal {
            unscaled: unscaled.into(),
            scale,
        }
    }

    /// Decodes the big-endian two's-complement bytes Kafka Connect stores for
    /// a Decimal (Java's `BigInteger.toByteArray()`).
    pub fn from_unscaled_bytes(bytes: &[u8], scale: i32) -> Self {
        Decimal {
            unscaled: BigInt::from_signed_bytes_be(bytes),
            scale,
        }
    }

    /// The big-endian two's-complement bytes of the unscaled value, minimal
    /// length, exactly as Java's `BigInteger.toByteArray()`.
    pub fn unscaled_bytes(&self) -> Vec<u8> {
        self.unscaled.to_signed_bytes_be()
    }

    /// Re-expresses the value at another scale. Returns `None` if that would
    /// lose digits.
    pub fn rescale(&self, scale: i32) -> Option<Decimal> {
        use std::cmp::Ordering;
        match scale.cmp(&self.scale) {
            Ordering::Equal => Some(self.clone()),
            Ordering::Greater => {
                let factor = BigInt::from(10u8).pow((scale - self.scale) as u32);
                Some(Decimal::new(&self.unscaled * factor, scale))
            }
            Ordering::Less => {
                let factor = BigInt::from(10u8).pow((self.scale - scale) as u32);
                let (q, r) = (&self.unscaled / &factor, &self.unscaled % &factor);
                if r.sign() == Sign::NoSign {
                    Some(Decimal::new(q, scale))
                } else {
                    None
                }
            }
        }
    }

    /// The value as an `f64` (may lose precision).
    pub fn to_f64(&self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }
}

/// Formats like Java's `BigDecimal.toPlainString()`: no exponent.
impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let negative = self.unscaled.sign() == Sign::Minus;
        let digits = self.unscaled.magnitude().to_string();
        let sign = if negative { "-" } else { "" };
        if self.scale <= 0 {
            let zeros = if digits == "0" {
                0
            } else {
                (-self.scale) as usize
            };
            return write!(f, "{sign}{digits}{}", "0".repeat(zeros));
        }
        let scale = self.scale as usize;
        if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            write!(f, "{sign}{int}.{frac}")
        } else {
            write!(f, "{sign}0.{}{digits}", "0".repeat(scale - digits.len()))
        }
    }
}

/// Error parsing a [`Decimal`] from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a decimal number: {0:?}")]
pub struct ParseDecimalError(pub String);

/// Parses plain (`-12.340`) and exponent (`1.5E+3`) notation. The scale is
/// the number of digits after the point, as `new BigDecimal(String)`.
impl FromStr for Decimal {
    type Err = ParseDecimalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseDecimalError(s.to_string());
        let t = s.trim();
        let (mantissa, exponent) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], t[i + 1..].parse::<i32>().map_err(|_| err())?),
            None => (t, 0),
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        let (negative, int_digits) = match int_part.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, int_part.strip_prefix('+').unwrap_or(int_part)),
        };
        if int_digits.is_empty() && frac_part.is_empty() {
            return Err(err());
        }
        let all = format!("{int_digits}{frac_part}");
        if !all.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let mut unscaled: BigInt = if all.is_empty() {
            BigInt::from(0)
        } else {
            all.parse().map_err(|_| err())?
        };
        if negative {
            unscaled = -unscaled;
        }
        Ok(Decimal::new(unscaled, frac_part.len() as i32 - exponent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_plain_string() {
        assert_eq!(Decimal::new(12345, 2).to_string(), "123.45");
        assert_eq!(Decimal::new(-5, 3).to_string(), "-0.005");
        assert_eq!(Decimal::new(7, 0).to_string(), "7");
        assert_eq!(Decimal::new(7, -2).to_string(), "700");
        assert_eq!(Decimal::new(0, 2).to_string(), "0.00");
    }

    #[test]
    fn parses_plain_and_exponent_notation() {
        assert_eq!("123.45".parse::<Decimal>().unwrap(), Decimal::new(12345, 2));
        assert_eq!("-0.005".parse::<Decimal>().unwrap(), Decimal::new(-5, 3));
        assert_eq!("1.5E+3".parse::<Decimal>().unwrap(), Decimal::new(15, -2));
        assert!("12a".parse::<Decimal>().is_err());
        assert!("".parse::<Decimal>().is_err());
    }

    #[test]
    fn unscaled_bytes_match_java_big_integer() {
        // BigInteger.valueOf(12345).toByteArray() == [0x30, 0x39]
        assert_eq!(Decimal::new(12345, 2).unscaled_bytes(), vec![0x30, 0x39]);
        // BigInteger.valueOf(-1).toByteArray() == [0xff]
        assert_eq!(Decimal::new(-1, 0).unscaled_bytes(), vec![0xff]);
        // 128 needs a sign byte: [0x00, 0x80]
        assert_eq!(Decimal::new(128, 0).unscaled_bytes(), vec![0x00, 0x80]);
        let d = Decimal::from_unscaled_bytes(&[0xff, 0x38], 1);
        assert_eq!(d.to_string(), "-20.0");
    }

    #[test]
    fn rescale_refuses_to_drop_digits() {
        let d = Decimal::new(1234, 2);
        assert_eq!(d.rescale(4).unwrap(), Decimal::new(123400, 4));
        assert_eq!(
            Decimal::new(1200, 2).rescale(0).unwrap(),
            Decimal::new(12, 0)
        );
        assert!(d.rescale(1).is_none());
    }
}
