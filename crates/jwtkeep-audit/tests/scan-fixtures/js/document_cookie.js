async function login(form) {
  const res = await fetch('/api/login', { method: 'POST', body: form });
  const { token } = await res.json();
  document.cookie = 'jwt=' + token; // jwtkeep:expect jwt-insecure-cookie
}
