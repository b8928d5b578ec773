export default {
  signingKey: 'correct horse battery', // jwtkeep:expect jwt-hardcoded-secret
};
