//! Web App Cloud Access: a person's storage credentials in their current workspace — added, edited
//! and deleted with an audit entry in the same transaction, the secret sealed by the master key and
//! never returned — and presigned GET links (AWS Signature V4, query-string form) made from them,
//! so that the browser can open an object without ever holding the secret.

use std::time::Duration;

use serde_json::json;

use app::domain::cloud_access::{self as rules, CloudAccess, CloudAccessForm, PresignedUrl};
use app::domain::{AppError, Identity};

use super::{Object, internal};
use crate::state::Core;
use crate::store;
use app::domain::audit::AuditObject;

const TAKEN: &str = "You already have access settings for this bucket; edit them instead.";

#[derive(Debug)]
pub struct CloudAccessService {
    pub core: std::sync::Arc<Core>,
}

/// What a presigned link is made from.
#[derive(Debug, Clone, Copy)]
pub struct SigningInput<'a> {
    /// `https://s3.<region>.amazonaws.com` or a custom endpoint.
    pub endpoint: &'a str,
    pub path_style: bool,
    pub bucket: &'a str,
    pub region: &'a str,
    pub access_key: &'a str,
    pub secret: &'a str,
    pub object_key: &'a str,
    pub expires_secs: i64,
    pub now_ms: i64,
}

/// A presigned GET URL (SigV4, `UNSIGNED-PAYLOAD`, only the `host` header signed), as of `now_ms`.
pub fn presign_get(i: SigningInput<'_>) -> Result<String, AppError> {
    use rusty_s3::S3Action as _;
    let endpoint: url::Url = i
        .endpoint
        .parse()
        .map_err(|_| AppError::validation("host", "The host is not a valid URL."))?;
    let style = if i.path_style {
        rusty_s3::UrlStyle::Path
    } else {
        rusty_s3::UrlStyle::VirtualHost
    };
    let bucket = rusty_s3::Bucket::new(endpoint, style, i.bucket.to_string(), i.region.to_string())
        .map_err(|e| {
            AppError::validation("host", format!("No link can be made for this bucket: {e}."))
        })?;
    let credentials = rusty_s3::Credentials::new(i.access_key, i.secret);
    let at = jiff::Timestamp::from_millisecond(i.now_ms).map_err(internal)?;
    let expires = Duration::from_secs(u64::try_from(i.expires_secs).map_err(internal)?);
    Ok(bucket
        .get_object(Some(&credentials), i.object_key)
        .sign_with_time(expires, &at)
        .to_string())
}

impl CloudAccessService {
    fn seal(&self, secret: &str) -> (String, String) {
        (
            self.core.key.encrypt(secret.as_bytes()),
            rules::mask_secret(secret),
        )
    }
}

/// The audit form of an entry (the helper masks the secret).
fn audited(e: &CloudAccess) -> serde_json::Value {
    json!({"bucket": e.bucket, "key": e.key, "region": e.region, "host": e.host})
}

impl CloudAccessService {
    pub async fn list(&self, who: &Identity) -> Result<Vec<CloudAccess>, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        store::cloud_access::list(&mut conn, &who.workspace_id, &who.user_id)
            .await
            .map_err(AppError::from)
    }

    pub async fn save(
        &self,
        who: &Identity,
        form: CloudAccessForm,
    ) -> Result<CloudAccess, AppError> {
        let v = rules::validate(&form)?;
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let taken =
            store::cloud_access::for_bucket(&mut tx, &who.workspace_id, &who.user_id, &v.bucket)
                .await?
                .is_some_and(|(e, _)| e.id != form.id.trim());
        if taken {
            return Err(AppError::Taken {
                field: "bucket".into(),
                message: TAKEN.into(),
            });
        }
        let sealed = v.secret.as_deref().map(|s| self.seal(s));
        let saved = if form.is_new() {
            let (sealed, mask) = sealed
                .ok_or_else(|| AppError::validation("secret", "Enter the secret or SAS token."))?;
            let id = crate::crypto::new_id();
            store::cloud_access::insert(
                &mut tx,
                store::cloud_access::NewCloudAccessRow {
                    id: &id,
                    workspace_id: &who.workspace_id,
                    user_id: &who.user_id,
                    bucket: &v.bucket,
                    access_key: &v.key,
                    secret_sealed: &sealed,
                    secret_mask: &mask,
                    region: &v.region,
                    host: &v.host,
                    now_ms: now,
                },
            )
            .await?;
            let saved = CloudAccess {
                id,
                bucket: v.bucket,
                key: v.key,
                secret_masked: mask,
                region: v.region,
                host: v.host,
                created_ms: now,
                updated_ms: now,
            };
            let mut after = audited(&saved);
            after["secret"] = json!(app::domain::audit::MASK);
            tx.audit(
                "cloud_access.create",
                Object {
                    kind: AuditObject::CloudAccess,
                    id: &saved.id,
                    name: &saved.bucket,
                },
                &json!({"after": after}),
            )
            .await?;
            saved
        } else {
            let id = form.id.trim();
            let before = store::cloud_access::find(&mut tx, id, &who.workspace_id, &who.user_id)
                .await?
                .ok_or_else(|| AppError::not_found("cloud access settings"))?;
            let unchanged = v.secret.is_none()
                && [&before.bucket, &before.key, &before.region, &before.host]
                    == [&v.bucket, &v.key, &v.region, &v.host];
            if unchanged {
                return Ok(before);
            }
            store::cloud_access::update(
                &mut tx,
                id,
                &who.workspace_id,
                &who.user_id,
                store::cloud_access::CloudAccessUpdate {
                    bucket: &v.bucket,
                    access_key: &v.key,
                    secret: sealed.as_ref().map(|(s, m)| (s.as_str(), m.as_str())),
                    region: &v.region,
                    host: &v.host,
                    now_ms: now,
                },
            )
            .await?;
            let saved = CloudAccess {
                bucket: v.bucket,
                key: v.key,
                secret_masked: sealed
                    .map(|(_, m)| m)
                    .unwrap_or_else(|| before.secret_masked.clone()),
                region: v.region,
                host: v.host,
                updated_ms: now,
                ..before.clone()
            };
            // Only what changed; a new secret shows as a masked change.
            let mut summary =
                app::domain::audit::change_summary(&audited(&before), &audited(&saved));
            if v.secret.is_some() {
                summary["before"]["secret"] = json!(app::domain::audit::MASK);
                summary["after"]["secret"] = json!(app::domain::audit::MASK);
            }
            tx.audit(
                "cloud_access.update",
                Object {
                    kind: AuditObject::CloudAccess,
                    id: &saved.id,
                    name: &saved.bucket,
                },
                &summary,
            )
            .await?;
            saved
        };
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn delete(&self, who: &Identity, id: &str) -> Result<(), AppError> {
        let mut tx = self.core.begin(who).await?;
        let before = store::cloud_access::find(&mut tx, id.trim(), &who.workspace_id, &who.user_id)
            .await?
            .ok_or_else(|| AppError::not_found("cloud access settings"))?;
        store::cloud_access::delete(&mut tx, &before.id, &who.workspace_id, &who.user_id).await?;
        let mut gone = audited(&before);
        gone["secret"] = json!(app::domain::audit::MASK);
        tx.audit(
            "cloud_access.delete",
            Object {
                kind: AuditObject::CloudAccess,
                id: &before.id,
                name: &before.bucket,
            },
            &json!({"before": gone}),
        )
        .await?;
        tx.commit().await
    }

    pub async fn presign(
        &self,
        who: &Identity,
        bucket: &str,
        path: &str,
        expires_in: Option<i64>,
    ) -> Result<PresignedUrl, AppError> {
        let object = rules::object_ref(bucket, path)?;
        let expires_secs = rules::expiry_secs(expires_in)?;
        let now = self.core.clock.now_ms();
        let mut conn = self.core.db.pool.acquire().await?;
        let (entry, sealed) = store::cloud_access::for_bucket(
            &mut conn,
            &who.workspace_id,
            &who.user_id,
            &object.bucket,
        )
        .await?
        .ok_or_else(|| {
            AppError::not_found(format!(
                "access settings for bucket '{}'; add them under Web App Cloud Access",
                object.bucket
            ))
        })?;
        drop(conn);
        let secret = self.core.key.decrypt(&sealed).map_err(internal)?;
        let secret = String::from_utf8(secret).map_err(internal)?;
        let (endpoint, path_style) = rules::endpoint(&entry.host, &entry.region, &entry.bucket);
        let url = presign_get(SigningInput {
            endpoint: &endpoint,
            path_style,
            bucket: &entry.bucket,
            region: rules::signing_region(&entry.region),
            access_key: &entry.key,
            secret: &secret,
            object_key: &object.key,
            expires_secs,
            now_ms: now,
        })?;
        Ok(PresignedUrl {
            url,
            bucket: object.bucket,
            key: object.key,
            expires_ms: now + expires_secs * 1000,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The presigned-URL example of the AWS Signature V4 documentation
    /// ("Authenticating Requests: Using Query Parameters").
    #[test]
    fn signs_like_the_aws_documentation_example() {
        let url = presign_get(SigningInput {
            endpoint: "https://s3.amazonaws.com",
            path_style: false,
            bucket: "examplebucket",
            region: "us-east-1",
            access_key: "AKIAIOSFODNN7EXAMPLE",
            secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            object_key: "test.txt",
            expires_secs: 86_400,
            // 2013-05-24T00:00:00Z
            now_ms: 1_369_353_600_000,
        })
        .unwrap();
        assert!(
            url.starts_with("https://examplebucket.s3.amazonaws.com/test.txt?"),
            "{url}"
        );
        for part in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request",
            "X-Amz-Date=20130524T000000Z",
            "X-Amz-Expires=86400",
            "X-Amz-SignedHeaders=host",
            "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
        ] {
            assert!(url.contains(part), "{part} in {url}");
        }
    }

    #[test]
    fn custom_hosts_get_path_style_urls() {
        let (endpoint, path_style) = rules::endpoint("http://127.0.0.1:9000", "", "data");
        let url = presign_get(SigningInput {
            endpoint: &endpoint,
            path_style,
            bucket: "data",
            region: "us-east-1",
            access_key: "k",
            secret: "s",
            object_key: "dir/a b.png",
            expires_secs: 900,
            now_ms: 1_700_000_000_000,
        })
        .unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:9000/data/dir/a%20b.png?"),
            "{url}"
        );
        assert!(url.contains("X-Amz-Expires=900"));
        assert!(!url.contains("X-Amz-Signature=&"));
    }

    #[test]
    fn aws_urls_are_virtual_hosted() {
        let (endpoint, path_style) = rules::endpoint("", "eu-west-1", "data");
        let url = presign_get(SigningInput {
            endpoint: &endpoint,
            path_style,
            bucket: "data",
            region: "eu-west-1",
            access_key: "k",
            secret: "s",
            object_key: "x.txt",
            expires_secs: 900,
            now_ms: 1_700_000_000_000,
        })
        .unwrap();
        assert!(
            url.starts_with("https://data.s3.eu-west-1.amazonaws.com/x.txt?"),
            "{url}"
        );
        assert!(url.contains("%2Feu-west-1%2Fs3%2Faws4_request"));
    }
}
