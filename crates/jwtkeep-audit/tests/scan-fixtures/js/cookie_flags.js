const jwt = require('jsonwebtoken');
app.post('/login', (req, res) => {
  const token = jwt.sign({ sub: req.user.id }, process.env.JWT_SECRET, { expiresIn: '15m' });
  res.cookie('token', token, { maxAge: 900000 }); // jwtkeep:expect jwt-insecure-cookie
  res.json({ ok: true });
});
