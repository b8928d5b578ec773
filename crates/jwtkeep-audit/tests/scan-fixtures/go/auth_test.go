package auth

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func TestSign(t *testing.T) {
	tok, _ := jwt.New(jwt.SigningMethodHS256).SignedString([]byte("test-secret"))
	_ = tok
}
