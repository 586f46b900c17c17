//! Web App Cloud Access: the storage credentials a person keeps so that the console can hand their
//! browser presigned links to objects in their buckets. This module holds the input rules (S3 bucket
//! naming, endpoint URLs, object paths), the masked form a secret is shown in, the choice between
//! AWS and a custom S3-compatible endpoint, and the data the console and the API exchange. The
//! secret itself never travels back to a browser: lists carry only its masked form.

use serde::{Deserialize, Serialize};

use super::AppError;

/// What a secret's hidden part is shown as.
pub const MASK_DOTS: &str = "••••••••";
/// Secrets shorter than this are shown fully masked (their last characters would give too much away).
pub const MASK_MIN_LEN: usize = 12;
pub const KEY_MAX: usize = 128;
/// SAS tokens run to a few hundred characters; this leaves room without inviting abuse.
pub const SECRET_MAX: usize = 2048;
pub const HOST_MAX: usize = 255;
pub const REGION_MAX: usize = 32;
/// The region used when an entry leaves it empty.
pub const DEFAULT_REGION: &str = "us-east-1";
/// S3 object keys are at most 1024 bytes.
pub const OBJECT_KEY_MAX: usize = 1024;
/// How long a presigned link works unless asked otherwise.
pub const DEFAULT_EXPIRY_SECS: i64 = 15 * 60;
/// SigV4 presigned URLs can live at most seven days.
pub const MAX_EXPIRY_SECS: i64 = 7 * 24 * 3600;

/// One stored entry as its owner sees it: never with the secret, only its masked form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudAccess {
    pub id: String,
    pub bucket: String,
    /// The access key id.
    pub key: String,
    /// The secret's masked form, e.g. `••••••••ab12`.
    pub secret_masked: String,
    /// As entered; may be empty (then [`DEFAULT_REGION`] is used for signing).
    pub region: String,
    /// The endpoint of an S3-compatible server; empty for AWS.
    pub host: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// The add/edit form. `id` is empty to add; on edit an empty `secret` keeps the stored one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudAccessForm {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub bucket: String,
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub secret: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub host: String,
}

impl CloudAccessForm {
    pub fn is_new(&self) -> bool {
        self.id.trim().is_empty()
    }
}

/// A form that passed [`validate`]: trimmed and normalised. `secret` is `None` when an edit keeps
/// the stored one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCloudAccess {
    pub bucket: String,
    pub key: String,
    pub secret: Option<String>,
    pub region: String,
    pub host: String,
}

/// A presigned link to one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresignedUrl {
    pub url: String,
    pub bucket: String,
    pub key: String,
    pub expires_ms: i64,
}

/// A bucket and an object key in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub bucket: String,
    pub key: String,
}

/// The masked form of a secret: dots and, for secrets of at least [`MASK_MIN_LEN`] characters,
/// the last four.
pub fn mask_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < MASK_MIN_LEN {
        return MASK_DOTS.to_string();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{MASK_DOTS}{tail}")
}

/// A bucket name by the S3 naming rules: 3 to 63 characters of lowercase letters, digits, `.` and
/// `-`, starting and ending with a letter or digit, no `..`, not shaped like an IP address, and
/// none of the prefixes and suffixes AWS reserves.
pub fn bucket(field: &str, raw: &str) -> Result<String, AppError> {
    let b = raw.trim();
    let err = |m: &str| Err(AppError::validation(field, m));
    if b.is_empty() {
        return err("Enter the bucket name.");
    }
    if !(3..=63).contains(&b.len()) {
        return err("Bucket names are 3 to 63 characters long.");
    }
    if !b
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
    {
        return err(
            "Bucket names use only lowercase letters, digits, dots (.) and hyphens (-), without s3:// or a path.",
        );
    }
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !alnum(b.as_bytes()[0]) || !alnum(b.as_bytes()[b.len() - 1]) {
        return err("Bucket names start and end with a letter or a digit.");
    }
    if b.contains("..") {
        return err("Bucket names cannot contain two dots in a row.");
    }
    let parts: Vec<&str> = b.split('.').collect();
    if parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|c| c.is_ascii_digit()))
    {
        return err("Bucket names cannot look like an IP address.");
    }
    if ["xn--", "sthree-", "amzn-s3-demo-"]
        .iter()
        .any(|p| b.starts_with(p))
        || ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
            .iter()
            .any(|s| b.ends_with(s))
    {
        return err("This bucket name uses a prefix or suffix that S3 reserves.");
    }
    Ok(b.to_string())
}

/// The access key id: required, at most 128 printable characters without spaces.
pub fn access_key(field: &str, raw: &str) -> Result<String, AppError> {
    let k = raw.trim();
    if k.is_empty() {
        return Err(AppError::validation(field, "Enter the access key."));
    }
    if k.chars().count() > KEY_MAX {
        return Err(AppError::validation(
            field,
            format!("The access key must be at most {KEY_MAX} characters."),
        ));
    }
    if k.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::validation(
            field,
            "The access key cannot contain spaces or control characters.",
        ));
    }
    Ok(k.to_string())
}

/// The secret (or SAS token): `None` when empty, which only an edit accepts.
pub fn secret(field: &str, raw: &str, required: bool) -> Result<Option<String>, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return if required {
            Err(AppError::validation(
                field,
                "Enter the secret or SAS token.",
            ))
        } else {
            Ok(None)
        };
    }
    if s.chars().count() > SECRET_MAX {
        return Err(AppError::validation(
            field,
            format!("The secret must be at most {SECRET_MAX} characters."),
        ));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::validation(
            field,
            "The secret cannot contain spaces or control characters.",
        ));
    }
    Ok(Some(s.to_string()))
}

/// A region name such as `eu-west-1`: lowercase letters, digits and `-`; may be empty.
pub fn region(field: &str, raw: &str) -> Result<String, AppError> {
    let r = raw.trim().to_ascii_lowercase();
    if r.len() > REGION_MAX
        || !r
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        || r.starts_with('-')
        || r.ends_with('-')
    {
        return Err(AppError::validation(
            field,
            "Enter a region like us-east-1 (letters, digits and hyphens), or leave it empty.",
        ));
    }
    Ok(r)
}

/// The endpoint of an S3-compatible server: empty (AWS), or an `http://` or `https://` URL with a
/// host, an optional port and path, and no user name, query or fragment. Returned without a
/// trailing `/`, the scheme and host lower-cased.
pub fn host(field: &str, raw: &str) -> Result<String, AppError> {
    let h = raw.trim();
    if h.is_empty() {
        return Ok(String::new());
    }
    let bad = |m: &str| Err(AppError::validation(field, m));
    if h.len() > HOST_MAX {
        return bad("The host must be at most 255 characters.");
    }
    let lower = h.to_ascii_lowercase();
    // The scheme is ASCII, so the lower-cased copy and the input split at the same byte.
    let (scheme, rest) = if lower.starts_with("https://") {
        ("https", &h[8..])
    } else if lower.starts_with("http://") {
        ("http", &h[7..])
    } else {
        return bad(
            "Enter the endpoint as an http:// or https:// URL, like https://minio.example.com:9000, or leave it empty for AWS.",
        );
    };
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("The host cannot contain spaces.");
    }
    if rest.contains(['?', '#']) {
        return bad("The host cannot have a query string or a fragment.");
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return bad("Put no user name or password in the host: they would show in every link.");
    }
    let (name, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((addr, after))
                if !addr.is_empty()
                    && addr.contains(':')
                    && addr
                        .bytes()
                        .all(|c| c.is_ascii_hexdigit() || c == b':' || c == b'.') =>
            {
                (&authority[..addr.len() + 2], after)
            }
            _ => return bad("Enter a valid IPv6 address in brackets, like http://[::1]:9000."),
        }
    } else {
        match authority.find(':') {
            Some(i) => authority.split_at(i),
            None => (authority, ""),
        }
    };
    let name_ok = name.starts_with('[')
        || (!name.is_empty()
            && name
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-')
            && !name.starts_with(['.', '-'])
            && !name.ends_with('-'));
    if !name_ok {
        return bad("Enter a valid host name or IP address.");
    }
    if !port.is_empty() {
        let valid = port
            .strip_prefix(':')
            .and_then(|digits| digits.parse::<u16>().ok())
            .is_some_and(|p| p != 0);
        if !valid {
            return bad("The port must be a number from 1 to 65535.");
        }
    }
    let path = path.trim_end_matches('/');
    Ok(format!(
        "{scheme}://{}{port}{path}",
        name.to_ascii_lowercase()
    ))
}

/// Checks the whole form, naming the first field that is wrong. The secret is required when adding.
pub fn validate(form: &CloudAccessForm) -> Result<ValidCloudAccess, AppError> {
    Ok(ValidCloudAccess {
        bucket: bucket("bucket", &form.bucket)?,
        key: access_key("key", &form.key)?,
        secret: secret("secret", &form.secret, form.is_new())?,
        region: region("region", &form.region)?,
        host: host("host", &form.host)?,
    })
}

/// Every field's error at once, for forms that show each next to its input.
pub fn field_errors(form: &CloudAccessForm) -> Vec<AppError> {
    [
        bucket("bucket", &form.bucket).err(),
        access_key("key", &form.key).err(),
        secret("secret", &form.secret, form.is_new()).err(),
        region("region", &form.region).err(),
        host("host", &form.host).err(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The region a request is signed for.
pub fn signing_region(region: &str) -> &str {
    if region.is_empty() {
        DEFAULT_REGION
    } else {
        region
    }
}

/// Where requests go and in which URL style: a custom host takes path-style URLs
/// (`host/bucket/key`, as MinIO and other S3-compatible servers expect); AWS takes
/// virtual-hosted-style URLs (`bucket.s3.region.amazonaws.com/key`), except for bucket names with
/// dots, which AWS's certificates do not cover, so they go path-style.
pub fn endpoint(host: &str, region: &str, bucket: &str) -> (String, bool) {
    if host.is_empty() {
        (
            format!("https://s3.{}.amazonaws.com", signing_region(region)),
            bucket.contains('.'),
        )
    } else {
        (host.to_string(), true)
    }
}

/// An object to link to: `s3://bucket/path/to/object`, or a key in the given bucket. Keys are at
/// most 1024 bytes and have no `.` or `..` segments (which would address another object).
pub fn object_ref(bucket_hint: &str, path: &str) -> Result<ObjectRef, AppError> {
    let path = path.trim();
    let (b, key) = if let Some(rest) = path
        .strip_prefix("s3://")
        .or_else(|| path.strip_prefix("S3://"))
    {
        match rest.split_once('/') {
            Some((b, k)) => (b.to_string(), k.to_string()),
            None => (rest.to_string(), String::new()),
        }
    } else {
        if bucket_hint.trim().is_empty() {
            return Err(AppError::validation(
                "path",
                "Enter the object as s3://bucket/path/to/object.",
            ));
        }
        (
            bucket_hint.trim().to_string(),
            path.trim_start_matches('/').to_string(),
        )
    };
    let bucket =
        bucket("bucket", &b).map_err(|e| AppError::validation("path", e.user_message()))?;
    if key.is_empty() {
        return Err(AppError::validation(
            "path",
            "Add the object's path after the bucket, like s3://bucket/path/to/object.",
        ));
    }
    if key.len() > OBJECT_KEY_MAX {
        return Err(AppError::validation(
            "path",
            format!("Object paths are at most {OBJECT_KEY_MAX} bytes."),
        ));
    }
    if key.chars().any(char::is_control) {
        return Err(AppError::validation(
            "path",
            "The object path cannot contain control characters.",
        ));
    }
    if key.split('/').any(|seg| seg == "." || seg == "..") {
        return Err(AppError::validation(
            "path",
            "The object path cannot contain '.' or '..' segments.",
        ));
    }
    Ok(ObjectRef { bucket, key })
}

/// A link's lifetime in seconds: the default, or 1 second to 7 days.
pub fn expiry_secs(requested: Option<i64>) -> Result<i64, AppError> {
    match requested {
        None => Ok(DEFAULT_EXPIRY_SECS),
        Some(s) if (1..=MAX_EXPIRY_SECS).contains(&s) => Ok(s),
        Some(_) => Err(AppError::validation(
            "expires_in",
            format!("Choose between 1 and {MAX_EXPIRY_SECS} seconds."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(bucket: &str, key: &str, secret: &str, region: &str, host: &str) -> CloudAccessForm {
        CloudAccessForm {
            id: String::new(),
            bucket: bucket.into(),
            key: key.into(),
            secret: secret.into(),
            region: region.into(),
            host: host.into(),
        }
    }

    #[test]
    fn masks_keep_only_the_last_four_of_long_secrets() {
        assert_eq!(
            mask_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            "••••••••EKEY"
        );
        assert_eq!(mask_secret("short"), MASK_DOTS);
        assert_eq!(mask_secret("elevenchars"), MASK_DOTS);
        assert_eq!(mask_secret("twelve-chars"), "••••••••hars");
        assert_eq!(mask_secret(""), MASK_DOTS);
        assert_eq!(mask_secret("ééééééééééééabçd"), "••••••••abçd");
    }

    #[test]
    fn bucket_names_follow_s3_rules() {
        for ok in [
            "abc",
            "my-bucket",
            "logs.example.com",
            "a1b2c3",
            &"a".repeat(63),
        ] {
            assert_eq!(bucket("bucket", ok).unwrap(), ok, "{ok}");
        }
        assert_eq!(bucket("bucket", "  spaced  ").unwrap(), "spaced");
        for bad in [
            "",
            "ab",
            &"a".repeat(64),
            "My-Bucket",
            "under_score",
            "-start",
            "end-",
            ".dot",
            "two..dots",
            "192.168.5.4",
            "xn--bucket",
            "sthree-b",
            "amzn-s3-demo-x",
            "b-s3alias",
            "b--ol-s3",
            "b.mrap",
            "s3://bucket",
            "bucket/path",
        ] {
            assert_eq!(
                bucket("bucket", bad).unwrap_err().field(),
                Some("bucket"),
                "{bad}"
            );
        }
        // Four parts that are not all numbers are fine.
        assert!(bucket("bucket", "192.168.5.a").is_ok());
    }

    #[test]
    fn hosts_are_http_urls() {
        assert_eq!(host("host", "").unwrap(), "");
        assert_eq!(
            host("host", " HTTP://127.0.0.1:9000/ ").unwrap(),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            host("host", "https://MinIO.example.com/s3/").unwrap(),
            "https://minio.example.com/s3"
        );
        assert_eq!(
            host("host", "http://[::1]:9000").unwrap(),
            "http://[::1]:9000"
        );
        assert_eq!(
            host("host", "https://s3.local").unwrap(),
            "https://s3.local"
        );
        for bad in [
            "minio.example.com",
            "ftp://x",
            "http://",
            "http://:9000",
            "http://user:pw@host",
            "http://host:0",
            "http://host:99999",
            "http://host:port",
            "http://ho st",
            "http://host?x=1",
            "http://host#f",
            "http://-host",
            "http://[::1",
            "http://bad_name",
        ] {
            assert_eq!(
                host("host", bad).unwrap_err().field(),
                Some("host"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_form_names_the_wrong_field() {
        let ok = form("bucket", "AKIA", "s3cr3t", "", "");
        let v = validate(&ok).unwrap();
        assert_eq!(v.secret.as_deref(), Some("s3cr3t"));
        assert_eq!(v.region, "");
        let field = |f: CloudAccessForm| validate(&f).unwrap_err().field().map(str::to_string);
        assert_eq!(field(form("B", "k", "s", "", "")), Some("bucket".into()));
        assert_eq!(field(form("bucket", " ", "s", "", "")), Some("key".into()));
        assert_eq!(
            field(form("bucket", "k", "", "", "")),
            Some("secret".into())
        );
        assert_eq!(
            field(form("bucket", "k", "s", "Not A Region", "")),
            Some("region".into())
        );
        assert_eq!(
            field(form("bucket", "k", "s", "", "minio:9000")),
            Some("host".into())
        );
        // An edit may leave the secret empty to keep the stored one.
        let edit = CloudAccessForm {
            id: "x".into(),
            ..form("bucket", "k", "", "EU-West-1", "")
        };
        let v = validate(&edit).unwrap();
        assert_eq!((v.secret, v.region.as_str()), (None, "eu-west-1"));
        let all = field_errors(&form("", "", "", "?", "x"));
        let names: Vec<_> = all.iter().filter_map(AppError::field).collect();
        assert_eq!(names, ["bucket", "key", "secret", "region", "host"]);
    }

    #[test]
    fn endpoints_choose_the_url_style() {
        assert_eq!(
            endpoint("", "", "b"),
            ("https://s3.us-east-1.amazonaws.com".to_string(), false)
        );
        assert_eq!(
            endpoint("", "eu-west-1", "my.dotted.bucket"),
            ("https://s3.eu-west-1.amazonaws.com".to_string(), true)
        );
        assert_eq!(
            endpoint("http://127.0.0.1:9000", "us-east-1", "b"),
            ("http://127.0.0.1:9000".to_string(), true)
        );
    }

    #[test]
    fn object_references() {
        assert_eq!(
            object_ref("", "s3://data/images/cat 1.png").unwrap(),
            ObjectRef {
                bucket: "data".into(),
                key: "images/cat 1.png".into()
            }
        );
        assert_eq!(
            object_ref("data", "/images/x.png").unwrap(),
            ObjectRef {
                bucket: "data".into(),
                key: "images/x.png".into()
            }
        );
        for bad in [
            "images/x.png",
            "s3://data",
            "s3://data/",
            "s3://Bad/x",
            "s3://data/a/../b",
            "s3://data/./b",
        ] {
            assert_eq!(
                object_ref("", bad).unwrap_err().field(),
                Some("path"),
                "{bad}"
            );
        }
        let long = format!("s3://data/{}", "k".repeat(1025));
        assert!(object_ref("", &long).is_err());
    }

    #[test]
    fn expiry_is_bounded() {
        assert_eq!(expiry_secs(None).unwrap(), 900);
        assert_eq!(expiry_secs(Some(60)).unwrap(), 60);
        assert!(expiry_secs(Some(0)).is_err());
        assert!(expiry_secs(Some(MAX_EXPIRY_SECS + 1)).is_err());
    }
}
