// Routes for @harperdb/http-router (it loads files named routes.*): a deep link to one sign, /sign/<id>, gets
// the panel page, which reads the id from the address and opens that sign.
import { Router } from '@harperdb/http-router';

export default new Router().get('/sign/:id', ({ serveStatic }) => serveStatic('web/index.html'));
