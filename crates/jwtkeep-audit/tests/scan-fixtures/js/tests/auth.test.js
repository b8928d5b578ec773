const jwt = require('jsonwebtoken');
test('rejects a bad signature', () => {
  const t = jwt.sign({ sub: 1 }, 'test-secret');
  expect(() => jwt.verify(t, 'other', { algorithms: ['HS256'] })).toThrow();
});
