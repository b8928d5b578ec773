from flask import Flask
from flask_jwt_extended import JWTManager
app = Flask(__name__)
app.config["JWT_SECRET_KEY"] = "flask-jwt-secret"  # jwtkeep:expect jwt-hardcoded-secret
jwt = JWTManager(app)
