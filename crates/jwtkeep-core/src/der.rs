//! The few DER structures jwtkeep reads and writes itself: the integers of an
//! RSA private key, and the envelopes around raw key material.
//!
//! Parsing is strict: definite, minimal lengths only, and every structure must
//! be consumed exactly.

/// ASN.1 tags used here.
pub(crate) mod tag {
    /// INTEGER
    pub(crate) const INTEGER: u8 = 0x02;
    /// BIT STRING
    pub(crate) const BIT_STRING: u8 = 0x03;
    /// OCTET STRING
    pub(crate) const OCTET_STRING: u8 = 0x04;
    /// NULL
    pub(crate) const NULL: u8 = 0x05;
    /// OBJECT IDENTIFIER
    pub(crate) const OID: u8 = 0x06;
    /// SEQUENCE (constructed)
    pub(crate) const SEQUENCE: u8 = 0x30;
}

/// Encoded object identifiers (contents only, without tag and length).
pub(crate) mod oid {
    /// rsaEncryption, 1.2.840.113549.1.1.1
    pub(crate) const RSA_ENCRYPTION: &[u8] =
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    /// id-ecPublicKey, 1.2.840.10045.2.1
    pub(crate) const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    /// prime256v1 (P-256), 1.2.840.10045.3.1.7
    pub(crate) const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    /// secp384r1 (P-384), 1.3.132.0.34
    pub(crate) const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    /// secp521r1 (P-521), 1.3.132.0.35
    pub(crate) const P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
    /// id-Ed25519, 1.3.101.112
    pub(crate) const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
    /// id-X25519, 1.3.101.110
    pub(crate) const X25519: &[u8] = &[0x2b, 0x65, 0x6e];
}

/// A malformed or unexpected DER structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed DER structure")]
pub(crate) struct DerError;

/// Reads DER elements one after another from a byte slice.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts reading `input`.
    pub(crate) fn new(input: &'a [u8]) -> Reader<'a> {
        Reader { rest: input }
    }

    /// Reads one element, which must carry `expected` as its tag, and returns its contents.
    pub(crate) fn read(&mut self, expected: u8) -> Result<&'a [u8], DerError> {
        let (&tag, rest) = self.rest.split_first().ok_or(DerError)?;
        if tag != expected {
            return Err(DerError);
        }
        let (&first, mut rest) = rest.split_first().ok_or(DerError)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 {
                return Err(DerError);
            }
            let (len_bytes, after) = rest.split_at_checked(count).ok_or(DerError)?;
            rest = after;
            if len_bytes.first() == Some(&0) {
                return Err(DerError);
            }
            let len = len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 {
                return Err(DerError);
            }
            len
        };
        let (content, after) = rest.split_at_checked(len).ok_or(DerError)?;
        self.rest = after;
        Ok(content)
    }

    /// The tag of the next element, if there is one (nothing is read).
    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads a non-negative INTEGER and returns its minimal big-endian magnitude.
    pub(crate) fn read_unsigned(&mut self) -> Result<&'a [u8], DerError> {
        let content = self.read(tag::INTEGER)?;
        match content {
            [] => Err(DerError),
            [first, ..] if first & 0x80 != 0 => Err(DerError),
            [0, second, ..] if second & 0x80 == 0 => Err(DerError),
            [0, rest @ ..] if !rest.is_empty() => Ok(rest),
            _ => Ok(content),
        }
    }

    /// Succeeds only when everything has been read.
    pub(crate) fn finish(self) -> Result<(), DerError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DerError)
        }
    }
}

/// Appends a tag-length-value element to `out`.
pub(crate) fn write_tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    match u8::try_from(content.len()) {
        Ok(short) if short < 0x80 => out.push(short),
        _ => {
            let bytes = content.len().to_be_bytes();
            let skip = bytes.iter().take_while(|&&b| b == 0).count();
            let significant = bytes.get(skip..).unwrap_or_default();
            // At most size_of::<usize>() bytes, so the count fits the low seven bits.
            out.push(0x80 | u8::try_from(significant.len()).unwrap_or(0x7f));
            out.extend_from_slice(significant);
        }
    }
    out.extend_from_slice(content);
}

/// Appends an unsigned big-endian integer as a DER INTEGER (minimal, non-negative).
pub(crate) fn write_unsigned(out: &mut Vec<u8>, magnitude: &[u8]) {
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let trimmed = magnitude.get(skip..).unwrap_or_default();
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(trimmed);
    write_tlv(out, tag::INTEGER, &content);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip_minimally() {
        for magnitude in [&[0x01][..], &[0x80], &[0x00, 0x00, 0x7f], &[0xff; 300]] {
            let mut out = Vec::new();
            write_unsigned(&mut out, magnitude);
            let mut reader = Reader::new(&out);
            let read = reader.read_unsigned().unwrap();
            reader.finish().unwrap();
            let expected: Vec<u8> = magnitude.iter().copied().skip_while(|&b| b == 0).collect();
            assert_eq!(read, expected.as_slice());
        }
    }

    #[test]
    fn rejects_non_minimal_lengths_and_integers() {
        // length 5 written in long form
        assert!(Reader::new(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5])
            .read(0x04)
            .is_err());
        // INTEGER 1 with a superfluous leading zero
        assert!(Reader::new(&[0x02, 0x02, 0x00, 0x01])
            .read_unsigned()
            .is_err());
        // negative INTEGER
        assert!(Reader::new(&[0x02, 0x01, 0x80]).read_unsigned().is_err());
        // truncated
        assert!(Reader::new(&[0x30, 0x05, 0x02]).read(0x30).is_err());
    }
}
