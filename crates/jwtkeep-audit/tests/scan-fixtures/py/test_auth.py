import jwt
def test_roundtrip():
    t = jwt.encode({"sub": 1}, "test-secret", algorithm="HS256")
    assert jwt.decode(t, "test-secret", algorithms=["HS256"])["sub"] == 1
