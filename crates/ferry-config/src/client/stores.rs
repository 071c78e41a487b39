//! Telling key and trust store formats apart: librdkafka reads PEM and
//! PKCS#12, Java also JKS.

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StoreFormat {
    Pem,
    Pkcs12,
    Jks,
}

impl StoreFormat {
    pub(super) fn name(self) -> &'static str {
        match self {
            StoreFormat::Pem => "PEM",
            StoreFormat::Pkcs12 => "PKCS12",
            StoreFormat::Jks => "JKS",
        }
    }
}

/// The format of a key or trust store. An explicit `PEM` or `PKCS12` type is
/// trusted. Otherwise (`JKS`, Kafka's default, or unset) the file is looked
/// at, since Java's JKS loader also reads PKCS12 files: `FEEDFEED` is JKS,
/// `-----BEGIN` is PEM, a DER sequence is PKCS12. An unreadable file is
/// judged by its extension, then by the type.
pub(super) fn store_format(declared: Option<&str>, path: &str) -> StoreFormat {
    let declared = declared.map(|t| t.trim().to_ascii_uppercase());
    match declared.as_deref() {
        Some("PEM") => return StoreFormat::Pem,
        Some("PKCS12") | Some("PFX") => return StoreFormat::Pkcs12,
        _ => {}
    }
    if let Some(format) = sniff_store(Path::new(path)) {
        return format;
    }
    let extension = Path::new(path)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("pem" | "crt" | "cer" | "key") => StoreFormat::Pem,
        Some("p12" | "pfx") => StoreFormat::Pkcs12,
        _ => StoreFormat::Jks,
    }
}

fn sniff_store(path: &Path) -> Option<StoreFormat> {
    use std::io::Read;
    let mut head = [0u8; 64];
    let mut file = std::fs::File::open(path).ok()?;
    let n = file.read(&mut head).ok()?;
    let head = &head[..n];
    if head.starts_with(&[0xfe, 0xed, 0xfe, 0xed]) {
        Some(StoreFormat::Jks)
    } else if head.first() == Some(&0x30) {
        Some(StoreFormat::Pkcs12)
    } else if String::from_utf8_lossy(head)
        .trim_start()
        .starts_with("-----BEGIN")
    {
        Some(StoreFormat::Pem)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(dir: &tempfile::TempDir, name: &str, head: &[u8]) -> String {
        let path = dir.path().join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(head)
            .unwrap();
        path.display().to_string()
    }

    #[test]
    fn declared_pem_and_pkcs12_are_trusted() {
        assert_eq!(store_format(Some("pem"), "/x.jks"), StoreFormat::Pem);
        assert_eq!(
            store_format(Some(" PKCS12 "), "/x.pem"),
            StoreFormat::Pkcs12
        );
    }

    #[test]
    fn content_decides_for_jks_or_unset_type() {
        let dir = tempfile::tempdir().unwrap();
        let jks = file(&dir, "a.p12", &[0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]);
        let p12 = file(&dir, "b.jks", &[0x30, 0x82, 0x01, 0x02]);
        let pem = file(&dir, "c", b"\n-----BEGIN CERTIFICATE-----\n");
        assert_eq!(store_format(None, &jks), StoreFormat::Jks);
        assert_eq!(store_format(Some("JKS"), &p12), StoreFormat::Pkcs12);
        assert_eq!(store_format(None, &pem), StoreFormat::Pem);
    }

    #[test]
    fn unreadable_files_are_judged_by_extension_then_as_jks() {
        assert_eq!(store_format(None, "/nowhere/ca.PEM"), StoreFormat::Pem);
        assert_eq!(store_format(None, "/nowhere/ks.pfx"), StoreFormat::Pkcs12);
        assert_eq!(store_format(None, "/nowhere/ks"), StoreFormat::Jks);
        assert_eq!(
            store_format(Some("JKS"), "/nowhere/ks.p12"),
            StoreFormat::Pkcs12
        );
    }
}
