//! Signing keys and the rotation lock.

use super::*;

fn key_record(
    master: &MasterKey,
    purpose: &str,
    kid: &str,
    active_from: i64,
    material: &[u8],
) -> KeyRecord {
    let mut record = KeyRecord {
        purpose: purpose.into(),
        kid: kid.into(),
        alg: Algorithm::Es256,
        created_at: active_from,
        published_at: active_from - 60,
        active_from,
        active_until: None,
        verify_until: None,
        public_jwk: Some(r#"{"kty":"EC"}"#.into()),
        sealed: Vec::new(),
    };
    record.sealed = master.seal(&record, material).unwrap();
    record
}

pub async fn signing_keys_are_stored_sealed_and_scheduled<S: Store>(s: S) {
    let t = now();
    let (master, _) = MasterKey::generate().unwrap();
    let purpose = format!("access-{}", id());
    let second = key_record(&master, &purpose, "k2", t + 100, b"second private key");
    let first = key_record(&master, &purpose, "k1", t, b"first private key");
    s.put_key(second.clone()).await.unwrap();
    s.put_key(first.clone()).await.unwrap();
    assert!(matches!(
        s.put_key(first.clone()).await,
        Err(StoreError::Conflict { .. })
    ));
    let keys = s.keys(&purpose).await.unwrap();
    assert_eq!(keys, vec![first.clone(), second.clone()], "oldest first");
    assert!(
        !keys[0].sealed.windows(5).any(|w| w == b"first"),
        "stored sealed, not plain"
    );
    assert_eq!(
        master.open(&keys[0]).unwrap().as_slice(),
        b"first private key"
    );
    // Another master key, or the sealed bytes moved to another record, do not open.
    let (other, _) = MasterKey::generate().unwrap();
    assert_eq!(other.open(&keys[0]), Err(SealError::WrongKeyOrAltered));
    let mut moved = keys[1].clone();
    moved.sealed = keys[0].sealed.clone();
    assert_eq!(master.open(&moved), Err(SealError::WrongKeyOrAltered));
    assert!(
        format!("{:?}", keys[0]).contains("<"),
        "Debug shows no key material"
    );

    s.set_key_schedule(&purpose, "k1", Some(t + 100), Some(t + 1000))
        .await
        .unwrap();
    let keys = s.keys(&purpose).await.unwrap();
    assert_eq!(
        (keys[0].active_until, keys[0].verify_until),
        (Some(t + 100), Some(t + 1000))
    );
    assert!(matches!(
        s.set_key_schedule(&purpose, "nope", None, None).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(s.delete_key(&purpose, "k1").await.unwrap());
    assert!(!s.delete_key(&purpose, "k1").await.unwrap());
    assert_eq!(s.keys(&purpose).await.unwrap(), vec![second]);
    assert!(s.keys("no-such-purpose").await.unwrap().is_empty());
    assert_eq!(
        MasterKey::new(&Secret::random(16).unwrap()).unwrap_err(),
        SealError::MasterKeyLength
    );
}

pub async fn rotation_lock_has_one_holder_at_a_time<S: Store>(s: S) {
    let t = now();
    let name = format!("rotate-{}", id());
    assert!(s.try_lock(&name, "instance-a", 30, t).await.unwrap());
    assert!(!s.try_lock(&name, "instance-b", 30, t + 1).await.unwrap());
    assert!(
        s.try_lock(&name, "instance-a", 30, t + 10).await.unwrap(),
        "renewal"
    );
    // B may not release A's lock.
    s.unlock(&name, "instance-b").await.unwrap();
    assert!(!s.try_lock(&name, "instance-b", 30, t + 11).await.unwrap());
    // After A's lock lapses, B takes it.
    assert!(s.try_lock(&name, "instance-b", 30, t + 40).await.unwrap());
    s.unlock(&name, "instance-b").await.unwrap();
    assert!(s.try_lock(&name, "instance-a", 30, t + 41).await.unwrap());
}
