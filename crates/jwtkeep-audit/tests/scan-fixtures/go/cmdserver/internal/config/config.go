package config

import "os"

func JWTKey() []byte {
	k := os.Getenv("JWT_KEY")
	if k == "" {
		k = "local-dev-key" // jwtkeep:expect jwt-secret-fallback
	}
	return []byte(k)
}
