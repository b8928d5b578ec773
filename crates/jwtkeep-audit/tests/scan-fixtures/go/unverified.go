package auth

import "github.com/golang-jwt/jwt/v5"

func IsAdmin(s string) bool {
	token, _, err := jwt.NewParser().ParseUnverified(s, jwt.MapClaims{}) // jwtkeep:expect jwt-decode-without-verify
	if err != nil {
		return false
	}
	claims := token.Claims.(jwt.MapClaims)
	return claims["admin"] == true // jwtkeep:expect jwt-unverified-claims
}
