// The client layer every controller, the scheduler, the kubelet and the proxy use to reach the API server.
export * from './apierror.js';
export * from './clock.js';
export * from './controller.js';
export * from './events.js';
export * from './informer.js';
export * from './informer-factory.js';
export * from './leaderelection.js';
export * from './log.js';
export * from './ratelimit.js';
export * from './refs.js';
export * from './resource.js';
export * from './rest.js';
export * from './store.js';
export * from './watch.js';
export * from './workqueue.js';
