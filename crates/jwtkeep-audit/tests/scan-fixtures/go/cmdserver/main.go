package main

import (
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"example.com/shop/internal/config"
)

func main() {
	claims := jwt.MapClaims{"sub": "u1", "exp": time.Now().Add(time.Hour).Unix()}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(config.JWTKey())
	fmt.Println(s, err)
}
