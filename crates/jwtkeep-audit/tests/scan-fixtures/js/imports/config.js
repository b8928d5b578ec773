// Settings shared by the whole app.
module.exports = {
  port: process.env.PORT || 3000,
  jwt: {
    secret: 'keyboard cat', // jwtkeep:expect jwt-hardcoded-secret
    expiresIn: '1h',
  },
};
