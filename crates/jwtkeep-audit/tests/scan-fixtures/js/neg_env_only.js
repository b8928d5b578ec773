const jwt = require('jsonwebtoken');
const secret = process.env.JWT_SECRET;
if (!secret) throw new Error('JWT_SECRET is required');
exports.sign = (p) => jwt.sign(p, secret, { expiresIn: '15m', algorithm: 'HS256' });
