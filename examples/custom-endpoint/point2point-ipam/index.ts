export { point2pointIpam, type Point2PointIpam } from './server.js';
