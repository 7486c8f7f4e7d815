internal import CSherpaOnnx
