const { expressjwt } = require('express-jwt');
app.use(expressjwt({ secret: 'shhhhhhared-secret', algorithms: ['HS256'], isRevoked })); // jwtkeep:expect jwt-hardcoded-secret
