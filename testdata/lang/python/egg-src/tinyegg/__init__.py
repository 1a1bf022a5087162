GREETING = "hello from a zipped egg"
