const jwt = require('jsonwebtoken');
const config = require('./config');

module.exports.login = (user) =>
  jwt.sign({ sub: user.id }, config.jwt.secret, { expiresIn: config.jwt.expiresIn });
