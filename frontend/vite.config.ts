import { defineConfig } from 'vitest/config';

// Preact's automatic JSX runtime comes from tsconfig (jsx: react-jsx, jsxImportSource: preact);
// no framework plugin is needed.
export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: { port: 5173, strictPort: false },
  test: { environment: 'happy-dom', include: ['tests/**/*.test.{ts,tsx}'] },
});
