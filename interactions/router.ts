/**
 * HTTP for the login journey. Each request loads the interaction and its journey, asks the flow
 * for the current step, and either renders it or hands a submission to it (a form, or JSON for
 * WebAuthn ceremonies). State changes only on POST, from Sesam's own pages, with the journey's
 * token. A submission to a step that is no longer current (back button, reload, second tab)
 * answers with the current step instead of an error. Upstream providers are entered by a POST to
 * /interaction/:uid/upstream/:provider and come back to one GET route, /interaction/callback/:provider.
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { steps } from './steps/index.js';
import { finishUpstream, journeyOfState, startUpstream } from './upstream.js';
import { finishPortalLink } from './upstream-link.js';
import { finishJourney } from './finish.js';
import { loadContext, loadUser, saveJourney } from './context.js';
import { decide } from './decide.js';
import { formFields } from './form-fields.js';
import { hasJourneyToken, refuseForgery, sameOriginOnly } from './guards.js';
import { newJourney } from './journey.js';
import { serveAssets } from './assets.js';
import { showForgot, submitForgot } from './steps/forgot.js';
import { showRecoverLink, useRecoverLink } from './steps/recover-link.js';
import { errorPage } from './views/layout.js';
import { pageContextFor } from './views/provider-pages.js';
import type { Services } from './services.js';
import type { StepContext, SubmitResult } from './step.js';

export function interactionRouter(services: Services): Router {
  const router = new Router({ prefix: '/interaction' });
  const body = bodyParser({ enableTypes: ['form', 'json'], formLimit: '32kb', jsonLimit: '64kb' });
  const sameOrigin = sameOriginOnly(services.origin, services.defaultLocale);

  /** Loads the journey of a POST and checks its token; undefined when the request was answered. */
  const posted = async (ctx: Context): Promise<StepContext | undefined> => {
    const sc = await loadContext(ctx, services, ctx.params.uid);
    if (!sc) return undefined;
    const given = ctx.is('application/json') ? ctx.get('x-csrf-token') : (ctx.request.body as Record<string, unknown> | undefined)?.csrf;
    if (!hasJourneyToken(sc, given)) {
      await services.events.record({ type: 'security.csrf_refused', userId: sc.journey.userId, ...sc.meta });
      refuseForgery(sc);
      return undefined;
    }
    return sc;
  };

  serveAssets(router);

  // Each request of the journey timed, under the step its handler names in ctx.state.step (assets name none).
  router.use(async (ctx, next) => {
    const start = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const step = (ctx.state as { step?: string }).step;
      if (step) services.observeStep?.(step, ctx.method, Number(process.hrtime.bigint() - start) / 1e9);
    }
  });
  const named = (name: string) => async (ctx: Context, next: () => Promise<unknown>) => {
    ctx.state.step = name;
    await next();
  };

  // Password recovery (issue 10): the e-mailed link, outside any sign-in, before the routes with a uid.
  router.get('/recover/:token', named('recover'), (ctx) => showRecoverLink(ctx, services, ctx.params.token));
  router.post('/recover/:token', named('recover'), sameOrigin, (ctx) => useRecoverLink(ctx, services, ctx.params.token));

  // An upstream provider's answer (issue 12): the interaction is the browser's (its cookie), the journey checks the rest.
  router.get('/callback/:provider', named('callback'), async (ctx) => {
    if (!(await services.federation.providers.find(ctx.params.provider))) {
      const pc = pageContextFor(ctx, services.defaultLocale);
      ctx.status = 404;
      ctx.type = 'html';
      ctx.body = errorPage(pc, pc.t('callback.unknown'));
      return;
    }
    const query = formFields(ctx.query);
    // A link started in the account portal, not a sign-in: told apart by its state.
    if (query.state && (await services.federation.links.exists(query.state))) return finishPortalLink(ctx, services, ctx.params.provider, query);
    // The interaction cookie is scoped to /interaction/<uid>: the state names the journey, whose own route reads it.
    const uid = await journeyOfState(services, query.state);
    if (!uid) {
      const pc = pageContextFor(ctx, services.defaultLocale);
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = errorPage(pc, pc.t('upstream.error.state_mismatch'));
      return;
    }
    ctx.status = 303;
    ctx.redirect(`/interaction/${uid}/callback/${encodeURIComponent(ctx.params.provider)}?${ctx.querystring}`);
  });

  router.get('/:uid/callback/:provider', named('callback'), async (ctx) => {
    const sc = await loadContext(ctx, services, ctx.params.uid);
    if (!sc) return;
    await decide(sc);
    await handle(sc, await finishUpstream(sc, ctx.params.provider, formFields(ctx.query)));
  });

  router.get('/:uid', async (ctx) => {
    ctx.state.step = 'show';
    const sc = await loadContext(ctx, services, ctx.params.uid);
    if (!sc) return;
    await advance(sc);
    ctx.state.step = stepLabel(sc.decision.step);
  });

  router.get('/:uid/forgot', named('forgot'), async (ctx) => {
    const sc = await loadContext(ctx, services, ctx.params.uid);
    if (sc) await showForgot(sc, 'form');
  });

  router.get('/:uid/forgot/sent', named('forgot'), async (ctx) => {
    const sc = await loadContext(ctx, services, ctx.params.uid);
    if (sc) await showForgot(sc, 'sent');
  });

  router.post('/:uid/forgot', named('forgot'), sameOrigin, body, async (ctx) => {
    const sc = await posted(ctx);
    if (sc) await submitForgot(sc, formFields(ctx.request.body));
  });

  router.post('/:uid/restart', named('restart'), sameOrigin, body, async (ctx) => {
    const sc = await posted(ctx);
    if (!sc) return;
    await services.journeys.save(sc.uid, newJourney('sign-in', { switchAccount: true, locale: sc.journey.locale, remember: sc.journey.remember }));
    ctx.status = 303;
    ctx.redirect(`/interaction/${sc.uid}`);
  });

  router.post('/:uid/abort', named('abort'), sameOrigin, body, async (ctx) => {
    const sc = await posted(ctx);
    if (!sc) return;
    await services.journeys.delete(sc.uid);
    await services.provider().interactionFinished(ctx.req, ctx.res, { error: 'access_denied', error_description: 'the user cancelled the sign-in' }, { mergeWithLastSubmission: false });
    ctx.respond = false;
  });

  // A provider's button on the identifier page: off to the provider.
  router.post('/:uid/upstream/:provider', named('upstream'), sameOrigin, body, async (ctx) => {
    const sc = await posted(ctx);
    if (!sc) return;
    await decide(sc);
    await handle(sc, await startUpstream(sc, ctx.params.provider));
  });

  router.post('/:uid/:step', sameOrigin, body, async (ctx) => {
    ctx.state.step = stepLabel(ctx.params.step);
    const sc = await posted(ctx);
    if (!sc) return;
    const current = await decide(sc);
    const step = current === 'finish' ? undefined : steps[current];
    const json = ctx.is('application/json');
    if (!step || current !== ctx.params.step || !(json ? step.json : step.submit)) {
      await saveJourney(sc);
      if (json) {
        // The page script learns where the journey is (409), or that this step takes a form (415).
        const stale = !step || current !== ctx.params.step;
        ctx.status = stale ? 409 : 415;
        ctx.body = stale
          ? { error: 'stale_step', message: 'the sign-in has moved on', next: `/interaction/${sc.uid}` }
          : { error: 'form_expected', message: 'this step takes a form, not JSON', next: `/interaction/${sc.uid}` };
        return;
      }
      ctx.status = 303;
      ctx.redirect(`/interaction/${sc.uid}`);
      return;
    }
    if (json) {
      const result = await step.json!(sc, (ctx.request.body ?? {}) as Record<string, unknown>);
      let next = `/interaction/${sc.uid}`;
      let finished = false;
      if (result.ok && !result.data) {
        // The ceremony proved something: where the journey goes now (straight back to the engine
        // when it is done; finishing forgets the journey).
        await loadUser(sc);
        if ((await decide(sc)) === 'finish') {
          next = (await finishJourney(sc, 'url')) ?? next;
          finished = true;
        }
      }
      if (!finished) await saveJourney(sc);
      ctx.status = result.ok ? 200 : result.status;
      ctx.body = result.ok ? { ...result.data, next } : { error: result.error, message: result.message };
      return;
    }
    await handle(sc, await step.submit!(sc, formFields(ctx.request.body)));
  });

  return router;
}

/** A step's name as a metrics label: one of the steps, `finish`, or `other` (never what a request made up). */
function stepLabel(name: string | undefined): string {
  return name !== undefined && (Object.hasOwn(steps, name) || name === 'finish') ? name : 'other';
}

/** What follows a submission: the step again (with its error), or the next step after a redirect. */
async function handle(sc: StepContext, outcome: SubmitResult): Promise<void> {
  if (outcome.ok === 'handled') return;
  if (outcome.ok === false) {
    await saveJourney(sc);
    sc.ctx.status = outcome.status ?? 400;
    sc.ctx.type = 'html';
    const step = steps[sc.decision.step as keyof typeof steps];
    sc.ctx.body = await step.render(sc, { error: outcome.error || undefined, values: outcome.values });
    await saveJourney(sc);
    return;
  }
  // The step may have identified an account or changed it: refresh that (unless it says it left it current), then move on.
  if (!outcome.userLoaded) await loadUser(sc);
  await advance(sc, true);
}

/** Renders the current step, or finishes. `redirect` after a POST so a reload never resubmits. */
async function advance(sc: StepContext, redirect = false): Promise<void> {
  const step = await decide(sc);
  // Finishing forgets the journey: nothing to write back first (as for a ceremony that ends it).
  if (step === 'finish') {
    await finishJourney(sc);
    return;
  }
  if (redirect) {
    await saveJourney(sc);
    sc.ctx.status = 303;
    sc.ctx.redirect(`/interaction/${sc.uid}`);
    return;
  }
  sc.ctx.type = 'html';
  sc.ctx.body = await steps[step].render(sc);
  // Rendering may draw scratch state (an authenticator secret being set up): keep it with the journey.
  await saveJourney(sc);
}
