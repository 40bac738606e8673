console.error("fuzz: not yet"); process.exit(1);
