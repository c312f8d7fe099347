/**
 * A page on another site can make a signed-in browser send a form (urlencoded, multipart, text/plain) with its
 * session cookie and no preflight. Every write path over HTTP refuses those bodies with 415 and changes nothing,
 * whoever is signed in; JSON still works.
 */
import { describe, expect, inject, it } from 'vitest';
import { rest } from '../harness/clients.ts';

const server = inject('harper');

const FORMS = [
	['application/x-www-form-urlencoded', 'id=xs-made&text=pwned'],
	['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="text"\r\n\r\npwned\r\n--x--\r\n'],
	['text/plain', '{"id":"xs-made","text":"pwned"}'],
] as const;

describe.each(FORMS)('a %s body', (contentType, body) => {
	it.each(['POST /LedSign/', 'PUT /LedSign/xs-target', 'PATCH /LedSign/xs-target'])(
		'is refused on %s',
		async (route) => {
			const before = (await rest(server, 'PUT', '/LedSign/xs-target', { text: 'as it was' })).body;
			const [method = '', path = ''] = route.split(' ');
			const answer = await rest(server, method, path, body, { raw: true, contentType });
			expect(answer.status).toBe(415);
			expect(answer.body).toMatchObject({
				statusCode: 415,
				fields: { body: expect.stringContaining('application/json') as string },
			});
			expect((await rest(server, 'GET', '/LedSign/xs-target')).body).toEqual(before);
			expect((await rest(server, 'GET', '/LedSign/xs-made')).status).toBe(404);
		}
	);
});

it('leaves JSON writes working', async () => {
	expect((await rest(server, 'PATCH', '/LedSign/xs-target', { text: 'json is fine' })).status).toBe(200);
});
