print("vidpipe")
