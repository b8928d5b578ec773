const jwt = require('jsonwebtoken');
app.post('/login', (req, res) => {
  const token = jwt.sign({ sub: 1 }, process.env.JWT_SECRET, { expiresIn: '15m' });
  res.cookie('token', token, { httpOnly: true, secure: true, sameSite: 'strict' });
  res.cookie('theme', 'dark');
});
