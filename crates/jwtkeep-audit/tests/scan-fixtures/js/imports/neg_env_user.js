const jwt = require('jsonwebtoken');
const { accessSecret, refreshSecret } = require('./neg_env_keys');

const access = (sub) => jwt.sign({ sub }, accessSecret, { expiresIn: '5m' });
const refresh = (sub) => jwt.sign({ sub }, refreshSecret, { expiresIn: '1h' });
module.exports = { access, refresh };
