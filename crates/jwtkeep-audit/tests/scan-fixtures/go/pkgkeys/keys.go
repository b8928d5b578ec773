package session

var signingKey = []byte("gopher-secret") // jwtkeep:expect jwt-hardcoded-secret

func helper() string {
	token := "not the key"
	return token
}
