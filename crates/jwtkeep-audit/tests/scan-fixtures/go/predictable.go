package auth

import (
	"fmt"
	"os"

	"github.com/golang-jwt/jwt/v5"
)

var signingKey = []byte(fmt.Sprintf("%s-secret", os.Getenv("SERVICE_NAME"))) // jwtkeep:expect jwt-predictable-secret

func Sign(c jwt.RegisteredClaims) (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(signingKey)
}
