const jwt = require('jsonwebtoken');
exports.sign = (p) => jwt.sign(p, `${process.env.JWT_SECRET}`, { expiresIn: '5m' });
