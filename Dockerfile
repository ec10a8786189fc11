# Production-like image: the same entry point as `npm start`, with external services from the environment.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# tsx is a runtime dependency: the service runs its TypeScript sources directly.
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV NODE_ENV=production PORT=3000
EXPOSE 3000
# The same flags as `npm start` (see src/runtime-flags.ts).
CMD ["node", "--max-old-space-size=128", "--import", "tsx", "src/main.ts"]
