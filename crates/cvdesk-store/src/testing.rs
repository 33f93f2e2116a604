//! Test support shared by the store's own tests and the server's integration tests.

use sqlx::Connection;

/// Creates an empty database on the PostgreSQL server at `url` (which must allow
/// `CREATE DATABASE`) and returns a URL for it, so every test starts from nothing.
pub async fn fresh_postgres_database(url: &str) -> String {
    let mut random = [0u8; 6];
    getrandom::fill(&mut random).expect("system randomness");
    let name = format!("cvdesk_test_{}", hex::encode(random));
    let mut admin = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    format!("{server}/{name}{query}")
}

/// The bucket a test keeps its attachments in: the server, credentials and bucket of
/// `CVDESK_TEST_S3_URL` (`http://KEY:SECRET@HOST:PORT/BUCKET`, the key and secret
/// percent-encoded; without them any credentials are sent), under a folder of its own so
/// that tests sharing the bucket never see each other's objects.
pub fn test_bucket(url: &str) -> crate::BucketSettings {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (credentials, rest) = match rest.rsplit_once('@') {
        Some((credentials, rest)) => (Some(credentials), rest),
        None => (None, rest),
    };
    let (host, bucket) = rest.split_once('/').expect("a bucket after the host");
    let (key, secret) = credentials
        .and_then(|text| text.split_once(':'))
        .map_or_else(
            || ("test".to_owned(), "test".to_owned()),
            |(key, secret)| (percent_decoded(key), percent_decoded(secret)),
        );
    let mut random = [0u8; 6];
    getrandom::fill(&mut random).expect("system randomness");
    crate::BucketSettings {
        endpoint: Some(format!("http://{host}")),
        bucket: bucket.trim_end_matches('/').to_owned(),
        region: crate::DEFAULT_REGION.to_owned(),
        access_key_id: key,
        secret_access_key: secret,
        path_style: true,
        prefix: Some(format!("test-{}", hex::encode(random))),
    }
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| text.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8(decoded).expect("UTF-8 credentials")
}

/// Every key under the test's folder of the bucket, without the folder, sorted.
pub async fn bucket_keys(settings: &crate::BucketSettings) -> Vec<String> {
    use futures_util::TryStreamExt;
    use object_store::ObjectStore;
    let (store, folder) = raw_bucket(settings);
    let mut keys: Vec<String> = store
        .list(Some(&object_store::path::Path::from(folder.as_str())))
        .map_ok(|meta| {
            meta.location
                .as_ref()
                .strip_prefix(&format!("{folder}/"))
                .unwrap_or(meta.location.as_ref())
                .to_owned()
        })
        .try_collect()
        .await
        .expect("listed");
    keys.sort();
    keys
}

/// Writes an object under the test's folder, as a desk that crashed would leave one.
pub async fn put_object(settings: &crate::BucketSettings, key: &str, content: &[u8]) {
    use object_store::ObjectStoreExt;
    let (store, folder) = raw_bucket(settings);
    store
        .put(
            &object_store::path::Path::from(format!("{folder}/{key}")),
            content.to_vec().into(),
        )
        .await
        .expect("put");
}

fn raw_bucket(settings: &crate::BucketSettings) -> (object_store::aws::AmazonS3, String) {
    let store = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(settings.endpoint.clone().expect("an endpoint"))
        .with_bucket_name(&settings.bucket)
        .with_region(&settings.region)
        .with_access_key_id(&settings.access_key_id)
        .with_secret_access_key(&settings.secret_access_key)
        .with_allow_http(true)
        .build()
        .expect("a client");
    (store, settings.prefix.clone().expect("a test folder"))
}

/// Runs `sql` on the store's database behind its back, as a failed or tampered write would
/// leave it.
pub async fn execute(location: &crate::StoreLocation, sql: &str) {
    match location {
        crate::StoreLocation::Sqlite { data_dir } => {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(crate::sqlite_database(data_dir));
            let mut connection = sqlx::SqliteConnection::connect_with(&options)
                .await
                .expect("connect to SQLite");
            sqlx::query(sql)
                .execute(&mut connection)
                .await
                .expect("executed");
        }
        crate::StoreLocation::Postgres { url, .. } => {
            let mut connection = sqlx::PgConnection::connect(url)
                .await
                .expect("connect to PostgreSQL");
            sqlx::query(sql)
                .execute(&mut connection)
                .await
                .expect("executed");
        }
    }
}

/// The key `content` is stored under in a bucket: `blobs/XX/<sha256>`.
pub fn blob_key(content: &[u8]) -> String {
    use sha2::Digest;
    let sha256 = hex::encode(sha2::Sha256::digest(content));
    format!("blobs/{}/{sha256}", &sha256[..2])
}
