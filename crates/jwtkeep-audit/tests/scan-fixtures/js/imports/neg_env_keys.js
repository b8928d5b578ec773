const { readFileSync } = require('fs');
exports.accessSecret = process.env.ACCESS_TOKEN_SECRET;
exports.refreshSecret = readFileSync('/run/secrets/refresh', 'utf8');
