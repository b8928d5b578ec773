const jwt = require('jsonwebtoken');
// Old code, kept for reference:
// const token = jwt.sign(payload, 'secret');
/* jwt.verify(token, "changeme") */
exports.verify = (t) => jwt.verify(t, process.env.JWT_SECRET, { algorithms: ['HS256'] });
