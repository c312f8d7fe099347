import { Router } from '@harperdb/http-router';
export default new Router().get('/sign/:id', ({ serveStatic }) => serveStatic('web/index.html'));
